import type { Body, Provider, Reply, StreamReader } from './types.ts';
import { type CharacterBudget, characterBudget, contentText, copyHeaders, header } from './types.ts';

interface ToolCallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

/**
 * Assembles streamed tool calls: the first delta of an index names it, later ones add arguments.
 * Ids, names and arguments share `budget`; a call is counted one character more, so their number
 * is bounded too.
 */
function mergeToolCalls(
  calls: Map<number, { id?: string; name: string; arguments: string }>,
  deltas: unknown,
  budget: CharacterBudget,
) {
  if (!Array.isArray(deltas)) return;
  for (const delta of deltas as (ToolCallDelta | null)[]) {
    if (!delta || typeof delta !== 'object') continue;
    const index = delta.index ?? calls.size;
    let call = calls.get(index);
    if (!call) {
      if (!budget.spend(1)) continue;
      call = { name: '', arguments: '' };
      calls.set(index, call);
    }
    if (typeof delta.id === 'string' && delta.id) call.id = budget.take(delta.id);
    const { name, arguments: args } = delta.function ?? {};
    if (typeof name === 'string') call.name += budget.take(name);
    if (typeof args === 'string') call.arguments += budget.take(args);
  }
}

/** The OpenAI chat completions wire format (also Gemini's, xAI's, Ollama's and vLLM's compatible APIs). */
export const openaiProvider: Provider = {
  name: 'openai',
  path: '/v1/chat/completions',
  upstreamPath: '/chat/completions',
  errorBody: (error) => ({ error: { message: error.message, type: error.type, param: null, code: null } }),
  bodyUser: (body) => (typeof body.user === 'string' && body.user.trim() ? body.user.trim() : undefined),
  latestUserText(body) {
    const messages = Array.isArray(body.messages)
      ? (body.messages as { role?: unknown; content?: unknown }[])
      : [];
    for (let i = messages.length - 1; i >= 0; i--) {
      const message = messages[i];
      if (message?.role === 'user') return contentText(message.content) || null;
    }
    return null;
  },
  inject(body, block): Body {
    const messages = Array.isArray(body.messages)
      ? [...(body.messages as { role?: unknown; content?: unknown }[])]
      : [];
    // After the application's own leading instructions, which keep their place and wording.
    let at = 0;
    while (at < messages.length && (messages[at]?.role === 'system' || messages[at]?.role === 'developer'))
      at++;
    messages.splice(at, 0, { role: 'system', content: block });
    return { ...body, messages };
  },
  upstreamHeaders(req, upstream, passThroughKeys) {
    const own = passThroughKeys ? header(req, 'x-provider-authorization') : undefined;
    const key = own ?? (upstream.apiKey ? `Bearer ${upstream.apiKey}` : undefined);
    return {
      ...copyHeaders(req, ['openai-organization', 'openai-project', 'openai-beta', 'user-agent']),
      ...(key ? { authorization: key } : {}),
    };
  },
  replyOf(json): Reply {
    const message = (json as { choices?: { message?: { content?: unknown; tool_calls?: unknown } }[] })
      ?.choices?.[0]?.message;
    const toolCalls = Array.isArray(message?.tool_calls) ? message.tool_calls : [];
    return { text: contentText(message?.content), toolCalls };
  },
  streamReader(limit): StreamReader {
    let text = '';
    let done = false;
    const textBudget = characterBudget(limit);
    const toolBudget = characterBudget(limit);
    const calls = new Map<number, { id?: string; name: string; arguments: string }>();
    return {
      event(_name, data) {
        if (data === '[DONE]') {
          done = true;
          return;
        }
        let chunk: { choices?: { index?: number; delta?: { content?: unknown; tool_calls?: unknown } }[] };
        try {
          chunk = JSON.parse(data);
        } catch {
          return;
        }
        if (!Array.isArray(chunk?.choices)) return;
        // The first choice is the reply (n > 1 asks for alternatives; only one is recorded).
        const choice = chunk.choices.find((candidate) => (candidate?.index ?? 0) === 0);
        if (typeof choice?.delta?.content === 'string') text += textBudget.take(choice.delta.content);
        mergeToolCalls(calls, choice?.delta?.tool_calls, toolBudget);
      },
      ended: () => done,
      reply: () => ({
        text,
        toolCalls: [...calls.values()].map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.arguments },
        })),
        ...(textBudget.cut ? { textTruncated: true } : {}),
        ...(toolBudget.cut ? { toolCallsTruncated: true } : {}),
      }),
    };
  },
};
