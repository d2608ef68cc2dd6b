/**
 * What the LLM proxy adds to a model call: a fake OpenAI upstream (in this process, answering at
 * once) is called directly and through two Engrams on one SQLite file, one injecting memory
 * (PROXY_MEMORY=facts, lexical recall over the entity's facts) and one not (PROXY_MEMORY=off);
 * both record every turn (and enqueue its augmentation job). Calls go over real HTTP with
 * keep-alive, one at a time, in alternating rounds so drift in the machine's load hits all alike.
 * Per call: latency p50/p99, and CPU of this whole process (client, proxy, recording, upstream)
 * minus the direct call's, which is what the proxy costs. Non-streamed and streamed (SSE) calls.
 * Prints a table, then a JSON line last.
 *
 *   npm run bench:proxy -- [--rounds 10] [--calls 100] [--facts 200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { buildApp } from '../src/app.ts';
import { configFromEnv } from '../src/config/config.ts';
import { parseEnv } from '../src/config/environment.ts';
import { createEngram } from '../src/engram.ts';
import { recordConversation } from '../src/services/conversations.ts';
import { rememberFact } from '../src/services/facts.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    calls: { type: 'string', default: '100' },
    facts: { type: 'string', default: '200' },
  },
});
const rounds = Number(values.rounds);
const calls = Number(values.calls);
const factCount = Number(values.facts);
const dir = mkdtempSync(join(tmpdir(), 'engram-bench-proxy-'));
const databaseUrl = `file:${join(dir, 'engram.db')}`;

// The upstream: a fixed completion, whole or as 12 server-sent events.
const COMPLETION = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-fake',
  choices: [
    { index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'A fine answer. '.repeat(8) } },
  ],
  usage: { prompt_tokens: 50, completion_tokens: 30, total_tokens: 80 },
});
const EVENTS = `${Array.from(
  { length: 12 },
  (_, i) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-bench',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'gpt-fake',
      choices: [{ index: 0, delta: { content: `piece ${i} ` }, finish_reason: i === 11 ? 'stop' : null }],
    })}\n\n`,
).join('')}data: [DONE]\n\n`;
const upstream = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (chunk: Buffer) => parts.push(chunk));
  req.on('end', () => {
    const streamed = Buffer.concat(parts).includes('"stream":true');
    res.writeHead(200, { 'content-type': streamed ? 'text/event-stream' : 'application/json' });
    res.end(streamed ? EVENTS : COMPLETION);
  });
});
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;

async function start(memory: 'off' | 'facts') {
  const env = parseEnv({
    NODE_ENV: 'production',
    API_KEYS: 'service:bench-key',
    LOG_LEVEL: 'silent',
    DATABASE_URL: databaseUrl,
    EMBEDDING_PROVIDER: 'none',
    VECTOR_INDEX_PATH: 'memory',
    AUGMENTATION: 'on',
    AUGMENTATION_CONCURRENCY: '0',
    RATE_LIMIT_PER_ADDRESS: '0',
    RATE_LIMIT_PER_KEY: '0',
    METRICS: 'off',
    PROXY_OPENAI_BASE_URL: upstreamUrl,
    PROXY_MEMORY: memory,
  });
  const engram = await createEngram(configFromEnv(env));
  const app = buildApp(engram);
  await engram.start({ wait: true });
  const port = await app.start(0, '127.0.0.1');
  return { engram, app, url: `http://127.0.0.1:${port}/v1` };
}

const on = await start('facts');
const actor = { principal: { kind: 'key', role: 'admin', name: 'bench' } as const, address: null };
const topics = [
  'tea',
  'bicycle',
  'Paris',
  'piano',
  'garden',
  'python',
  'marathon',
  'sister',
  'dog',
  'coffee',
];
for (let i = 0; i < factCount; i++) {
  const topic = topics[i % topics.length];
  await rememberFact(on.engram.services, actor, {
    entity: 'bench-entity',
    content: `The user mentioned ${topic} in conversation number ${i}, with detail ${i * 7}`,
  });
}
// Started after the seeding so its index loads the facts too (it would also catch up by itself).
const off = await start('off');

const agent = new Agent({ keepAliveTimeout: 30_000 });
const call = async (base: string, streamed: boolean) => {
  const response = await request(`${base}/chat/completions`, {
    method: 'POST',
    dispatcher: agent,
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer bench-key',
      'x-engram-entity': 'bench-entity',
    },
    body: JSON.stringify({
      model: 'gpt-fake',
      stream: streamed,
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'What did I say about tea and my bicycle in Paris?' },
      ],
    }),
  });
  await response.body.text();
  if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
};

const targets = {
  direct: { url: upstreamUrl, settled: async () => {} },
  memoryOff: { url: off.url, settled: () => off.app.proxy?.settled() ?? Promise.resolve() },
  memoryOn: { url: on.url, settled: () => on.app.proxy?.settled() ?? Promise.resolve() },
};
type Target = keyof typeof targets;
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] as number;

const report: Record<string, Record<Target, { p50Ms: number; p99Ms: number; cpuUsPerCall: number }>> = {};
for (const streamed of [false, true]) {
  const latencies: Record<Target, number[]> = { direct: [], memoryOff: [], memoryOn: [] };
  const cpu: Record<Target, number[]> = { direct: [], memoryOff: [], memoryOn: [] };
  for (let round = -2; round < rounds; round++) {
    for (const name of Object.keys(targets) as Target[]) {
      const target = targets[name];
      const cpuStart = process.cpuUsage();
      const times: number[] = [];
      for (let i = 0; i < calls; i++) {
        const started = performance.now();
        await call(target.url, streamed);
        times.push(performance.now() - started);
      }
      // The recording (after the answer) is part of what a call costs.
      await target.settled();
      const used = process.cpuUsage(cpuStart);
      // The first two rounds warm up the JIT and the connections.
      if (round < 0) continue;
      latencies[name].push(...times);
      cpu[name].push((used.user + used.system) / calls);
    }
  }
  const summary = {} as Record<Target, { p50Ms: number; p99Ms: number; cpuUsPerCall: number }>;
  for (const name of Object.keys(targets) as Target[]) {
    const sorted = latencies[name].sort((a, b) => a - b);
    summary[name] = {
      p50Ms: Number(quantile(sorted, 0.5).toFixed(3)),
      p99Ms: Number(quantile(sorted, 0.99).toFixed(3)),
      cpuUsPerCall: Math.round(median(cpu[name])),
    };
  }
  report[streamed ? 'streamed' : 'whole'] = summary;
}

const added = (kind: string, name: Target) => {
  const base = report[kind]?.direct;
  const row = report[kind]?.[name];
  if (!base || !row) return null;
  return {
    p50Ms: Number((row.p50Ms - base.p50Ms).toFixed(3)),
    p99Ms: Number((row.p99Ms - base.p99Ms).toFixed(3)),
    cpuUsPerCall: row.cpuUsPerCall - base.cpuUsPerCall,
  };
};
console.log(`proxy overhead: ${rounds} rounds × ${calls} calls, ${factCount} facts, SQLite, lexical recall`);
console.log('call       target      p50 ms   p99 ms   CPU µs/call   added p50   added p99   added CPU µs');
const result: Record<string, unknown> = {};
for (const kind of ['whole', 'streamed']) {
  for (const name of Object.keys(targets) as Target[]) {
    const row = report[kind]?.[name];
    if (!row) continue;
    const extra = name === 'direct' ? null : added(kind, name);
    console.log(
      `${kind.padEnd(10)} ${name.padEnd(10)} ${row.p50Ms.toFixed(3).padStart(8)} ${row.p99Ms.toFixed(3).padStart(8)} ${String(row.cpuUsPerCall).padStart(13)}` +
        (extra
          ? ` ${extra.p50Ms.toFixed(3).padStart(11)} ${extra.p99Ms.toFixed(3).padStart(11)} ${String(extra.cpuUsPerCall).padStart(14)}`
          : ''),
    );
    result[`${kind}.${name}`] = { ...row, ...(extra ? { added: extra } : {}) };
  }
}

// What recording alone costs: the same two-message turn through recordConversation, no HTTP.
const recordCpu: number[] = [];
for (let round = -2; round < rounds; round++) {
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < calls; i++) {
    await recordConversation(off.engram.services, actor, {
      entity: 'bench-entity',
      process: 'proxy',
      messages: [
        { role: 'USER', content: 'What did I say about tea and my bicycle in Paris?' },
        { role: 'ASSISTANT', content: 'A fine answer. '.repeat(8).trim() },
      ],
    });
  }
  const used = process.cpuUsage(cpuStart);
  if (round >= 0) recordCpu.push((used.user + used.system) / calls);
}
const recordingCpuUsPerCall = Math.round(median(recordCpu));
console.log(
  `recording alone (recordConversation, 2 messages, no HTTP): ${recordingCpuUsPerCall} µs CPU per call`,
);
result.recordingOnly = { cpuUsPerCall: recordingCpuUsPerCall };

await agent.close();
for (const server of [on, off]) {
  await server.app.stop();
  await server.engram.stop();
}
await new Promise<void>((resolve) => upstream.close(() => resolve()));
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ bench: 'proxy', rounds, calls, facts: factCount, results: result }));
