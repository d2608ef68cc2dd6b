import type { LanguageModelMiddleware } from 'ai';
import type { EngramClient } from './client.ts';
import { memoryBlock } from './memory-block.ts';

type CallParams = Parameters<NonNullable<LanguageModelMiddleware['transformParams']>>[0]['params'];
type Prompt = CallParams['prompt'];
type GenerateResult = Awaited<ReturnType<NonNullable<LanguageModelMiddleware['wrapGenerate']>>>;
type StreamResult = Awaited<ReturnType<NonNullable<LanguageModelMiddleware['wrapStream']>>>;
type StreamPart = StreamResult['stream'] extends ReadableStream<infer P> ? P : never;
type MessageInput = { role: 'USER' | 'ASSISTANT'; content: string; type: string };

/** What `engramMemory` takes. */
export interface EngramMemoryOptions {
  client: EngramClient;
  /** External id of the entity (the user) whose memory is recalled and recorded. */
  entity: string;
  /**
   * External id of the process (your app or agent) the turns are recorded under.
   * @default "ai-sdk"
   */
  process?: string;
  /**
   * Session uuid the turns are recorded in (a chat's id).
   * @default a new uuid per middleware, so one middleware is one session
   */
  session?: string;
  /**
   * Recall before each call, or `false` to add no memory.
   * @default { first: 8, maxTokens: 1000 } (the LLM proxy's defaults)
   */
  recall?: { first?: number; maxTokens?: number } | false;
  /**
   * Record the user's latest message and the reply after each call.
   * @default true
   */
  record?: boolean;
  /**
   * Told when recalling or recording fails. The model call goes on regardless (without memory, or
   * unrecorded): memory must never be the reason an answer is lost.
   * @default console.warn
   */
  onError?: (error: unknown, stage: 'recall' | 'record') => void;
}

/** The middleware, with the session it records into and a way to wait for recordings. */
export interface EngramMemoryMiddleware extends LanguageModelMiddleware {
  readonly session: string;
  /** Resolves when every recording started so far has finished (before a serverless function returns). */
  flush(): Promise<void>;
}

/** Message types of a recorded reply: the LLM proxy's (src/proxy/record.ts), so both read alike. */
const TYPES = {
  text: 'text',
  toolCalls: 'tool_calls',
  incomplete: 'incomplete',
  incompleteToolCalls: 'incomplete_tool_calls',
} as const;

/** The text of the latest user message, and whether it is the prompt's last message (a new turn). */
function latestUser(prompt: Prompt): { text: string; isLast: boolean } | null {
  for (let at = prompt.length - 1; at >= 0; at--) {
    const message = prompt[at];
    if (message?.role !== 'user') continue;
    const text = message.content
      .map((part) => (part.type === 'text' ? part.text : ''))
      .filter(Boolean)
      .join('\n');
    return text.trim() ? { text, isLast: at === prompt.length - 1 } : null;
  }
  return null;
}

/** The prompt with the memory block after the application's own leading system messages. */
function withMemory(prompt: Prompt, block: string): Prompt {
  let at = 0;
  while (at < prompt.length && prompt[at]?.role === 'system') at++;
  return [...prompt.slice(0, at), { role: 'system', content: block }, ...prompt.slice(at)];
}

interface Reply {
  text: string;
  toolCalls: { toolCallId: string; toolName: string; input: string }[];
}

function turn(userText: string | null, reply: Reply, complete: boolean): MessageInput[] {
  const messages: MessageInput[] = [];
  if (userText) messages.push({ role: 'USER', content: userText, type: TYPES.text });
  if (reply.text.trim())
    messages.push({ role: 'ASSISTANT', content: reply.text, type: complete ? TYPES.text : TYPES.incomplete });
  if (reply.toolCalls.length > 0) {
    messages.push({
      role: 'ASSISTANT',
      content: JSON.stringify(reply.toolCalls),
      type: complete ? TYPES.toolCalls : TYPES.incompleteToolCalls,
    });
  }
  return messages;
}

function replyOf(content: GenerateResult['content']): Reply {
  const reply: Reply = { text: '', toolCalls: [] };
  for (const part of content) {
    if (part.type === 'text') reply.text += part.text;
    else if (part.type === 'tool-call')
      reply.toolCalls.push({ toolCallId: part.toolCallId, toolName: part.toolName, input: part.input });
  }
  return reply;
}

/** A random (v4) uuid. crypto.randomUUID exists only in secure contexts; getRandomValues everywhere. */
function uuid(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * An AI SDK middleware that gives any language model Engram's memory, as the LLM proxy does but
 * from the client: before a call it recalls the entity's facts for the latest user message and
 * adds them as a delimited system message (the user's words stay as they were); after the answer
 * (or when a stream ends, is cancelled or fails) it records the user's message and the reply in
 * the session. Use it with `wrapLanguageModel({ model, middleware: engramMemory({...}) })`.
 */
export function engramMemory(options: EngramMemoryOptions): EngramMemoryMiddleware {
  const { client, entity } = options;
  const processId = options.process ?? 'ai-sdk';
  const session = options.session ?? uuid();
  const recall = options.recall === false ? null : { first: 8, maxTokens: 1000, ...options.recall };
  const record = options.record ?? true;
  const onError = options.onError ?? ((error, stage) => console.warn(`engram ${stage} failed`, error));
  const pending = new Set<Promise<void>>();
  let tail: Promise<void> = Promise.resolve();

  /** Records in the background: the caller has its answer already, and a failure goes to onError. */
  const save = (prompt: Prompt, reply: Reply, complete: boolean) => {
    if (!record) return;
    const user = latestUser(prompt);
    // A step after a tool result carries the same user message again: record it once, with its first reply.
    const messages = turn(user?.isLast ? user.text : null, reply, complete);
    if (messages.length === 0) return;
    // Recordings go one after another: two turns sent at once could be stored out of order.
    const send = () => client.recordConversation({ entity, process: processId, session, messages });
    const task = tail
      .then(send, send)
      .then(
        () => undefined,
        (error: unknown) => onError(error, 'record'),
      )
      .finally(() => pending.delete(task));
    tail = task;
    pending.add(task);
  };

  return {
    specificationVersion: 'v3',
    session,
    flush: async () => {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    transformParams: async ({ params }) => {
      if (!recall) return params;
      const user = latestUser(params.prompt);
      if (!user) return params;
      try {
        const hits = await client.recall(
          { entity, query: user.text, first: recall.first },
          params.abortSignal ? { signal: params.abortSignal } : {},
        );
        const block = memoryBlock(
          { facts: hits.flatMap((hit) => (hit.fact ? [hit.fact.content] : [])) },
          recall.maxTokens,
        );
        return block ? { ...params, prompt: withMemory(params.prompt, block) } : params;
      } catch (error) {
        if (params.abortSignal?.aborted) throw error;
        onError(error, 'recall');
        return params;
      }
    },
    wrapGenerate: async ({ doGenerate, params }) => {
      const result = await doGenerate();
      save(params.prompt, replyOf(result.content), true);
      return result;
    },
    wrapStream: async ({ doStream, params }) => {
      const { stream, ...rest } = await doStream();
      const reply: Reply = { text: '', toolCalls: [] };
      let finished = false;
      let failed = false;
      let saved = false;
      const end = (complete: boolean) => {
        if (saved) return;
        saved = true;
        save(params.prompt, reply, complete);
      };
      // A provider that ignores the abort signal would leave the stream open: the turn is recorded
      // at the abort all the same.
      params.abortSignal?.addEventListener('abort', () => end(false), { once: true });
      const reader = stream.getReader();
      // A ReadableStream of our own rather than a TransformStream: its cancel() tells us the caller
      // stopped reading, so what arrived until then is recorded as incomplete.
      const passed = new ReadableStream<StreamPart>({
        async pull(controller) {
          let step: ReadableStreamReadResult<StreamPart>;
          try {
            step = await reader.read();
          } catch (error) {
            end(false);
            controller.error(error);
            return;
          }
          if (step.done) {
            end(finished && !failed);
            controller.close();
            return;
          }
          const part = step.value;
          if (part.type === 'text-delta') reply.text += part.delta;
          else if (part.type === 'tool-call')
            reply.toolCalls.push({ toolCallId: part.toolCallId, toolName: part.toolName, input: part.input });
          else if (part.type === 'finish') finished = true;
          else if (part.type === 'error') failed = true;
          controller.enqueue(part);
        },
        async cancel(reason) {
          end(false);
          await reader.cancel(reason);
        },
      });
      return { ...rest, stream: passed };
    },
  };
}
