import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 that answers the chat wire formats the AI SDK's provider
 * libraries speak, so that the tests exercise the libraries' actual requests and parsing:
 *
 * - OpenAI Chat Completions (OpenAI, xAI, OpenAI-compatible servers): `POST /v1/chat/completions`,
 *   `Authorization: Bearer`. Structured output arrives as `response_format: json_schema` (or
 *   `json_object`); the answer is the message content. A request that forces a function tool gets a
 *   tool call instead.
 * - Anthropic Messages: `POST /v1/messages`, `x-api-key`. Structured output arrives as
 *   `output_config.format` (models with native structured outputs; the answer is a text block) or as
 *   a forced `json` tool (older models; the answer is a `tool_use` block).
 * - Gemini generateContent: `POST /v1beta/models/<model>:generateContent`, `x-goog-api-key`,
 *   `generationConfig.responseSchema`; the answer is the candidate's text part.
 * - Amazon Bedrock Converse: `POST /model/<model>/converse` with a Bedrock API key
 *   (`Authorization: Bearer`; SigV4 is not checked). Non-Anthropic models get a forced `json` tool;
 *   the answer is a `toolUse` block.
 *
 * Each test scripts the answers ({@link FakeLlmApi.script}); once the script runs out, every request
 * gets {@link FakeLlmApi.reply}. Every request is recorded with its arrival time.
 */

export type LlmWireFormat = 'openai' | 'anthropic' | 'google' | 'bedrock';

/** How the request asked for structured output. */
export type StructuredMode =
  | 'json_schema'
  | 'json_object'
  | 'output_format'
  | 'json_tool'
  | 'response_schema'
  | 'none';

export interface RecordedLlmRequest {
  format: LlmWireFormat;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  mode: StructuredMode;
  /** The system prompt, wherever the format puts it. */
  system: string;
  /** The text of the user messages, joined. */
  userText: string;
  /** performance.now() when the request arrived. */
  at: number;
}

/** One scripted answer. */
export type FakeLlmStep =
  /** Answer with this object as the model's JSON (content, text block or tool input). */
  | { extraction: unknown; inputTokens?: number; outputTokens?: number }
  /** Answer with this raw text as the model's output (malformed JSON, prose...). */
  | { text: string; finishReason?: 'stop' | 'length' }
  /** Fail with this HTTP status, in the format's error shape (with `retry-after-ms: 5`). */
  | { status: number; message?: string }
  /** Wait this long, then answer with the next step (or the reply). */
  | { delayMs: number };

export interface FakeLlmApiOptions {
  /** The key every format expects. @default 'test-llm-secret-key-5678' */
  apiKey?: string;
}

export interface FakeLlmApi {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly apiKey: string;
  readonly requests: RecordedLlmRequest[];
  /** The answer once the script has run out. @default an empty extraction */
  reply: unknown;
  /** Tokens reported with every successful answer unless the step says otherwise. */
  usage: { inputTokens: number; outputTokens: number };
  /** Queues answers for the next requests, in order. */
  script(...steps: FakeLlmStep[]): void;
  /** Forgets requests, script, reply and usage. */
  reset(): void;
  close(): Promise<void>;
}

const EMPTY_EXTRACTION = { facts: [], triples: [], summary: '' };
const DEFAULT_USAGE = { inputTokens: 321, outputTokens: 45 };

export async function startFakeLlmApi(options: FakeLlmApiOptions = {}): Promise<FakeLlmApi> {
  const apiKey = options.apiKey ?? 'test-llm-secret-key-5678';
  const state = {
    requests: [] as RecordedLlmRequest[],
    steps: [] as FakeLlmStep[],
    reply: EMPTY_EXTRACTION as unknown,
    usage: { ...DEFAULT_USAGE },
  };
  let counter = 0;

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { message: String(error) } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const format = formatOf(req.method, url.pathname);
    if (!format) return send(res, 404, { error: { message: `no route for ${req.method} ${url.pathname}` } });
    const raw = await readBody(req);
    const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
    const request: RecordedLlmRequest = {
      format,
      path: url.pathname,
      headers: req.headers,
      body,
      mode: modeOf(format, body),
      system: systemOf(format, body),
      userText: userTextOf(format, body),
      at: performance.now(),
    };
    state.requests.push(request);

    let step = state.steps.shift();
    while (step && 'delayMs' in step) {
      if (!(await waitUnlessClosed(res, step.delayMs))) return;
      step = state.steps.shift();
    }
    if (step && 'status' in step) {
      return sendError(res, format, step.status, step.message ?? 'simulated failure');
    }

    const sentKey =
      format === 'anthropic'
        ? req.headers['x-api-key']
        : format === 'google'
          ? req.headers['x-goog-api-key']
          : req.headers.authorization;
    const expected = format === 'openai' || format === 'bedrock' ? `Bearer ${apiKey}` : apiKey;
    if (sentKey !== expected) {
      // Like OpenAI, quote the key back: the client must not pass it on.
      return sendError(res, format, 401, `Incorrect API key provided: ${String(sentKey)}`);
    }

    const usage = {
      inputTokens: (step && 'inputTokens' in step ? step.inputTokens : undefined) ?? state.usage.inputTokens,
      outputTokens:
        (step && 'outputTokens' in step ? step.outputTokens : undefined) ?? state.usage.outputTokens,
    };
    const answer: Answer =
      step && 'text' in step
        ? { kind: 'text', text: step.text, finishReason: step.finishReason ?? 'stop' }
        : { kind: 'object', value: step && 'extraction' in step ? step.extraction : state.reply };
    const id = `fake-${++counter}`;
    if (format === 'openai') return send(res, 200, openAIAnswer(id, body, answer, usage));
    if (format === 'anthropic') return send(res, 200, anthropicAnswer(id, request.mode, body, answer, usage));
    if (format === 'bedrock') return send(res, 200, bedrockAnswer(id, request.mode, answer, usage));
    return send(res, 200, geminiAnswer(answer, usage));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    get requests() {
      return state.requests;
    },
    get reply() {
      return state.reply;
    },
    set reply(value) {
      state.reply = value;
    },
    get usage() {
      return state.usage;
    },
    set usage(value) {
      state.usage = value;
    },
    script(...steps) {
      state.steps.push(...steps);
    },
    reset() {
      state.requests = [];
      state.steps = [];
      state.reply = EMPTY_EXTRACTION;
      state.usage = { ...DEFAULT_USAGE };
    },
    async close() {
      // Keep-alive sockets from fetch() would otherwise hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

type Answer =
  | { kind: 'object'; value: unknown }
  | { kind: 'text'; text: string; finishReason: 'stop' | 'length' };

interface Usage {
  inputTokens: number;
  outputTokens: number;
}

function formatOf(method: string | undefined, path: string): LlmWireFormat | undefined {
  if (method !== 'POST') return undefined;
  if (path === '/v1/chat/completions') return 'openai';
  if (path === '/v1/messages') return 'anthropic';
  if (/^\/v1beta\/models\/[^/]+:generateContent$/.test(path)) return 'google';
  if (/^\/model\/[^/]+\/converse$/.test(path)) return 'bedrock';
  return undefined;
}

function modeOf(format: LlmWireFormat, body: Record<string, unknown>): StructuredMode {
  if (format === 'openai') {
    const responseFormat = body.response_format as { type?: string } | undefined;
    if (responseFormat?.type === 'json_schema') return 'json_schema';
    if (responseFormat?.type === 'json_object') return 'json_object';
    return 'none';
  }
  if (format === 'anthropic') {
    const outputConfig = body.output_config as { format?: unknown } | undefined;
    if (outputConfig?.format) return 'output_format';
    const tools = (body.tools ?? []) as { name?: string }[];
    return tools.some((tool) => tool.name === 'json') ? 'json_tool' : 'none';
  }
  if (format === 'bedrock') {
    const toolConfig = body.toolConfig as { tools?: { toolSpec?: { name?: string } }[] } | undefined;
    return toolConfig?.tools?.some((tool) => tool.toolSpec?.name === 'json') ? 'json_tool' : 'none';
  }
  const config = body.generationConfig as { responseSchema?: unknown } | undefined;
  return config?.responseSchema ? 'response_schema' : 'none';
}

function systemOf(format: LlmWireFormat, body: Record<string, unknown>): string {
  if (format === 'openai') {
    const messages = (body.messages ?? []) as { role: string; content: unknown }[];
    return messages
      .filter((message) => message.role === 'system' || message.role === 'developer')
      .map((message) => textOf(message.content))
      .join('\n');
  }
  if (format === 'anthropic' || format === 'bedrock') return textOf(body.system);
  return textOf((body.systemInstruction as { parts?: unknown } | undefined)?.parts);
}

function userTextOf(format: LlmWireFormat, body: Record<string, unknown>): string {
  if (format === 'google') {
    const contents = (body.contents ?? []) as { role: string; parts: unknown }[];
    return contents
      .filter((content) => content.role === 'user')
      .map((content) => textOf(content.parts))
      .join('\n');
  }
  const messages = (body.messages ?? []) as { role: string; content: unknown }[];
  return messages
    .filter((message) => message.role === 'user')
    .map((message) => textOf(message.content))
    .join('\n');
}

/** A string, or the text of an array of `{ text }` parts (every format has some of those). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (typeof part === 'object' && part && 'text' in part ? String(part.text) : ''))
      .join('');
  }
  return '';
}

function openAIAnswer(id: string, body: Record<string, unknown>, answer: Answer, usage: Usage) {
  const tools = (body.tools ?? []) as { type: string; function?: { name: string } }[];
  const forced = body.tool_choice as { type?: string; function?: { name: string } } | string | undefined;
  const toolName =
    typeof forced === 'object' && forced.function ? forced.function.name : tools[0]?.function?.name;
  const text = answer.kind === 'text' ? answer.text : JSON.stringify(answer.value);
  const message =
    toolName && forced && forced !== 'auto' && forced !== 'none'
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: `call_${id}`, type: 'function', function: { name: toolName, arguments: text } }],
        }
      : { role: 'assistant', content: text };
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: String(body.model),
    choices: [
      {
        index: 0,
        message,
        finish_reason: answer.kind === 'text' && answer.finishReason === 'length' ? 'length' : 'stop',
      },
    ],
    usage: {
      prompt_tokens: usage.inputTokens,
      completion_tokens: usage.outputTokens,
      total_tokens: usage.inputTokens + usage.outputTokens,
    },
  };
}

function anthropicAnswer(
  id: string,
  mode: StructuredMode,
  body: Record<string, unknown>,
  answer: Answer,
  usage: Usage,
) {
  const length = answer.kind === 'text' && answer.finishReason === 'length';
  // The forced json tool carries an object; a text answer (the model ignoring the tool) stays text.
  const content =
    mode === 'json_tool' && answer.kind === 'object'
      ? [{ type: 'tool_use', id: `toolu_${id}`, name: 'json', input: answer.value }]
      : [{ type: 'text', text: answer.kind === 'text' ? answer.text : JSON.stringify(answer.value) }];
  return {
    id: `msg_${id}`,
    type: 'message',
    role: 'assistant',
    model: String(body.model),
    content,
    stop_reason: length ? 'max_tokens' : content[0]?.type === 'tool_use' ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens },
  };
}

function bedrockAnswer(id: string, mode: StructuredMode, answer: Answer, usage: Usage) {
  const length = answer.kind === 'text' && answer.finishReason === 'length';
  const content =
    mode === 'json_tool' && answer.kind === 'object'
      ? [{ toolUse: { toolUseId: `tooluse_${id}`, name: 'json', input: answer.value } }]
      : [{ text: answer.kind === 'text' ? answer.text : JSON.stringify(answer.value) }];
  return {
    output: { message: { role: 'assistant', content } },
    stopReason: length ? 'max_tokens' : 'toolUse' in (content[0] ?? {}) ? 'tool_use' : 'end_turn',
    usage: {
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      totalTokens: usage.inputTokens + usage.outputTokens,
    },
    metrics: { latencyMs: 1 },
  };
}

function geminiAnswer(answer: Answer, usage: Usage) {
  const length = answer.kind === 'text' && answer.finishReason === 'length';
  return {
    candidates: [
      {
        content: {
          role: 'model',
          parts: [{ text: answer.kind === 'text' ? answer.text : JSON.stringify(answer.value) }],
        },
        finishReason: length ? 'MAX_TOKENS' : 'STOP',
        index: 0,
      },
    ],
    usageMetadata: {
      promptTokenCount: usage.inputTokens,
      candidatesTokenCount: usage.outputTokens,
      totalTokenCount: usage.inputTokens + usage.outputTokens,
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Resolves true after `ms`, or false as soon as the client gives up (so no timer outlives it). */
function waitUnlessClosed(res: ServerResponse, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    res.on('close', onClose);
  });
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** Each service's error body, with a short retry-after so that retries in tests take milliseconds. */
function sendError(res: ServerResponse, format: LlmWireFormat, status: number, message: string): void {
  const body =
    format === 'anthropic'
      ? { type: 'error', error: { type: ANTHROPIC_ERROR_TYPES[status] ?? 'api_error', message } }
      : format === 'bedrock'
        ? { message }
        : format === 'google'
          ? { error: { code: status, message, status: status === 429 ? 'RESOURCE_EXHAUSTED' : 'UNKNOWN' } }
          : {
              error: {
                message,
                type: status === 429 ? 'rate_limit_exceeded' : 'invalid_request_error',
                code: null,
              },
            };
  send(res, status, body, { 'retry-after-ms': '5' });
}
