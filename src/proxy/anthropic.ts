import type { Body, Provider, Reply, StreamReader } from './types.ts';
import { characterBudget, contentText, copyHeaders, header } from './types.ts';

interface Block {
  type?: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

/** A streamed block as far as it arrived; a tool call's arguments come as JSON text in pieces. */
type StreamedBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id?: string; name?: string; input?: unknown; json?: string };

function replyOfBlocks(blocks: Block[]): Reply {
  return {
    text: blocks
      .filter((block) => block.type === 'text')
      .map((block) => block.text ?? '')
      .join(''),
    toolCalls: blocks
      .filter((block) => block.type === 'tool_use')
      .map((block) => ({ id: block.id, name: block.name, input: block.input })),
  };
}

/** The Anthropic Messages wire format. */
export const anthropicProvider: Provider = {
  name: 'anthropic',
  path: '/v1/messages',
  upstreamPath: '/v1/messages',
  errorBody: (error) => ({ type: 'error', error: { type: error.type, message: error.message } }),
  bodyUser(body) {
    const user = (body.metadata as { user_id?: unknown } | undefined)?.user_id;
    return typeof user === 'string' && user.trim() ? user.trim() : undefined;
  },
  latestUserText(body) {
    const messages = Array.isArray(body.messages)
      ? (body.messages as { role?: unknown; content?: unknown }[])
      : [];
    for (let i = messages.length - 1; i >= 0; i--) {
      const message = messages[i];
      // A user turn holding only tool results is the application's, not the user's: look further back.
      if (message?.role === 'user') {
        const text = contentText(message.content);
        if (text) return text;
      }
    }
    return null;
  },
  inject(body, block): Body {
    const system = body.system;
    if (system === undefined || system === null || system === '') return { ...body, system: block };
    // After the application's own system text, which stays as it was (a prompt-cache prefix too).
    const blocks =
      typeof system === 'string' ? [{ type: 'text', text: system }] : Array.isArray(system) ? system : [];
    return { ...body, system: [...blocks, { type: 'text', text: block }] };
  },
  upstreamHeaders(req, upstream, passThroughKeys) {
    // `x-api-key` is Anthropic's own header; X-Provider-Authorization is the OpenAI route's, accepted too.
    const own = passThroughKeys
      ? (header(req, 'x-api-key') ?? header(req, 'x-provider-authorization')?.replace(/^Bearer\s+/i, ''))
      : undefined;
    const key = own ?? upstream.apiKey ?? undefined;
    return {
      'anthropic-version': header(req, 'anthropic-version') ?? '2023-06-01',
      ...copyHeaders(req, ['anthropic-beta', 'user-agent']),
      ...(key ? { 'x-api-key': key } : {}),
    };
  },
  replyOf(json): Reply {
    const content = (json as { content?: unknown })?.content;
    return replyOfBlocks(Array.isArray(content) ? (content as Block[]) : []);
  },
  streamReader(limit): StreamReader {
    // By index: only text and tool_use blocks are recorded, so only they are kept.
    const blocks = new Map<number, StreamedBlock>();
    const textBudget = characterBudget(limit);
    // A tool_use block counts one character more, so their number is bounded too.
    const toolBudget = characterBudget(limit);
    let done = false;
    return {
      event(_name, data) {
        let event: { type?: string; index?: number; content_block?: Block; delta?: Record<string, unknown> };
        try {
          event = JSON.parse(data);
        } catch {
          return;
        }
        if (!event || typeof event !== 'object') return;
        if (event.type === 'message_stop') done = true;
        const index = typeof event.index === 'number' ? event.index : 0;
        const start = event.content_block;
        if (event.type === 'content_block_start' && start && typeof start === 'object') {
          blocks.delete(index);
          if (start.type === 'text') {
            const text = typeof start.text === 'string' ? textBudget.take(start.text) : '';
            if (text) blocks.set(index, { type: 'text', text });
          } else if (start.type === 'tool_use' && toolBudget.spend(1)) {
            const input = start.input === undefined ? undefined : JSON.stringify(start.input);
            blocks.set(index, {
              type: 'tool_use',
              id: typeof start.id === 'string' ? toolBudget.take(start.id) : undefined,
              name: typeof start.name === 'string' ? toolBudget.take(start.name) : undefined,
              input: input !== undefined && toolBudget.spend(input.length) ? start.input : undefined,
            });
          }
        } else if (event.type === 'content_block_delta' && event.delta && typeof event.delta === 'object') {
          const block = blocks.get(index);
          if (event.delta.type === 'text_delta' && (!block || block.type === 'text')) {
            const text = textBudget.take(String(event.delta.text ?? ''));
            if (block) block.text += text;
            else if (text) blocks.set(index, { type: 'text', text });
          }
          if (event.delta.type === 'input_json_delta' && block?.type === 'tool_use')
            block.json = (block.json ?? '') + toolBudget.take(String(event.delta.partial_json ?? ''));
        }
      },
      ended: () => done,
      reply() {
        const whole = [...blocks.entries()]
          .sort(([a], [b]) => a - b)
          .map(([, block]): Block => {
            if (block.type !== 'tool_use' || block.json === undefined) return block;
            let input: unknown = block.json;
            try {
              input = JSON.parse(block.json);
            } catch {
              // An aborted or cut stream ends mid-arguments: they are kept as the text that arrived.
            }
            return { ...block, input };
          });
        return {
          ...replyOfBlocks(whole),
          ...(textBudget.cut ? { textTruncated: true } : {}),
          ...(toolBudget.cut ? { toolCallsTruncated: true } : {}),
        };
      },
    };
  },
};
