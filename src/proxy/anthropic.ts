import type { Body, Provider, Reply, StreamReader } from './types.ts';
import { contentText, copyHeaders, header } from './types.ts';

interface Block {
  type?: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

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
  streamReader(): StreamReader {
    const blocks: (Block & { json?: string })[] = [];
    let done = false;
    return {
      event(_name, data) {
        let event: { type?: string; index?: number; content_block?: Block; delta?: Record<string, unknown> };
        try {
          event = JSON.parse(data);
        } catch {
          return;
        }
        if (event.type === 'message_stop') done = true;
        const index = event.index ?? 0;
        if (event.type === 'content_block_start' && event.content_block) {
          blocks[index] = { ...event.content_block };
        } else if (event.type === 'content_block_delta' && event.delta) {
          const block = blocks[index] ?? { type: 'text', text: '' };
          blocks[index] = block;
          if (event.delta.type === 'text_delta')
            block.text = (block.text ?? '') + String(event.delta.text ?? '');
          if (event.delta.type === 'input_json_delta')
            block.json = (block.json ?? '') + String(event.delta.partial_json ?? '');
        }
      },
      ended: () => done,
      reply() {
        const whole = blocks.filter(Boolean).map((block) => {
          if (block.type !== 'tool_use' || block.json === undefined) return block;
          let input: unknown = block.json;
          try {
            input = JSON.parse(block.json);
          } catch {
            // An aborted stream ends mid-arguments: they are kept as the text that arrived.
          }
          return { ...block, input };
        });
        return replyOfBlocks(whole);
      },
    };
  },
};
