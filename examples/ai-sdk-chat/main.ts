/**
 * A terminal chat whose model remembers: Engram's AI SDK middleware recalls what Engram knows
 * about the user before each answer and records every turn, with any OpenAI-compatible API as
 * the model. Run `npx tsx examples/ai-sdk-chat/main.ts` (see README.md for the environment).
 */
import { createInterface } from 'node:readline/promises';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { streamText, wrapLanguageModel } from 'ai';
import { EngramClient, engramMemory, mintEntityToken } from '../../client-codegen/client/index.ts';

const env = process.env;
const engramUrl = env.ENGRAM_URL ?? 'http://localhost:4000/graphql';
const apiKey = env.ENGRAM_API_KEY;
const entity = env.ENTITY ?? 'demo-user';
const baseURL = env.OPENAI_BASE_URL;
if (!baseURL) {
  process.stderr.write(
    'Set OPENAI_BASE_URL (for example https://api.openai.com/v1, or Ollama’s http://localhost:11434/v1)\n',
  );
  process.exit(2);
}

// The chat acts with an entity token for its user only, as a browser would: the service key stays
// on the "backend" side (here, this function) and mints short-lived tokens when asked.
const client = new EngramClient(
  apiKey
    ? {
        url: engramUrl,
        getToken: async () => (await mintEntityToken({ url: engramUrl, apiKey, entity })).token,
      }
    : { url: engramUrl },
);

const provider = createOpenAICompatible({ name: 'llm', baseURL, apiKey: env.OPENAI_API_KEY ?? '' });
const memory = engramMemory({
  client,
  entity,
  process: 'ai-sdk-chat',
  ...(env.SESSION ? { session: env.SESSION } : {}),
  recall: { first: 8 },
  onError: (error, stage) => process.stderr.write(`(memory ${stage} failed: ${String(error)})\n`),
});
const model = wrapLanguageModel({ model: provider(env.MODEL ?? 'gpt-4o-mini'), middleware: memory });
const history: { role: 'user' | 'assistant'; content: string }[] = [];

/** One line of input: a command, or a message to the model whose answer is streamed out. */
async function handle(line: string): Promise<void> {
  if (line.startsWith('/remember ')) {
    const fact = await client.rememberFact({ entity, content: line.slice('/remember '.length) });
    process.stdout.write(`remembered: ${fact.content}\n`);
    return;
  }
  if (line.startsWith('/recall ')) {
    for (const hit of await client.recall({ entity, query: line.slice('/recall '.length), first: 5 }))
      process.stdout.write(`${hit.score.toFixed(3)} ${hit.fact?.content ?? ''}\n`);
    return;
  }
  history.push({ role: 'user', content: line });
  const result = streamText({ model, system: 'You are a friendly, brief assistant.', messages: history });
  let reply = '';
  for await (const delta of result.textStream) {
    reply += delta;
    process.stdout.write(delta);
  }
  process.stdout.write('\n');
  history.push({ role: 'assistant', content: reply });
}

const lines = process.argv.slice(2);
if (lines.length > 0) {
  for (const line of lines) await handle(line);
} else {
  const input = createInterface({ input: process.stdin, output: process.stdout });
  process.stdout.write(`Chatting as ${entity} (/remember <fact>, /recall <question>, Ctrl-D to quit)\n`);
  for await (const line of input) if (line.trim()) await handle(line.trim());
}
// Recordings run in the background of each answer: wait for them before leaving.
await memory.flush();
process.stdout.write(`[session ${memory.session}]\n`);
await client.close();
