import type { Body, Provider, Reply, StreamReader } from './types.ts';
import { contentText, copyHeaders, header } from './types.ts';

interface ToolCallDelta {
  index?: number;
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

/** Assembles streamed tool calls: the first delta of an index names it, later ones add arguments. */
function mergeToolCalls(
  calls: Map<number, { id?: string; name: string; arguments: string }>,
  deltas: unknown,
) {
  if (!Array.isArray(deltas)) return;
  for (const delta of deltas as ToolCallDelta[]) {
    const index = delta.index ?? calls.size;
    const call = calls.get(index) ?? { name: '', arguments: '' };
    if (delta.id) call.id = delta.id;
    if (delta.function?.name) call.name += delta.function.name;
    if (delta.function?.arguments) call.arguments += delta.function.arguments;
    calls.set(index, call);
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
  streamReader(): StreamReader {
    let text = '';
    let done = false;
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
        // The first choice is the reply (n > 1 asks for alternatives; only one is recorded).
        const choice = chunk.choices?.find((candidate) => (candidate.index ?? 0) === 0);
        if (typeof choice?.delta?.content === 'string') text += choice.delta.content;
        mergeToolCalls(calls, choice?.delta?.tool_calls);
      },
      ended: () => done,
      reply: () => ({
        text,
        toolCalls: [...calls.values()].map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.arguments },
        })),
      }),
    };
  },
};
