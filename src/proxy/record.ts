import type { MessageRole } from '../db/enums.ts';
import type { Actor } from '../services/audit.ts';
import { recordConversation } from '../services/conversations.ts';
import type { ServiceDeps } from '../services/deps.ts';
import type { CallOwner } from './identify.ts';
import type { Reply } from './types.ts';

/** Message types the proxy records besides `text`. */
export const MESSAGE_TYPES = {
  /** The tool calls of a reply, as a JSON array of the provider's call objects. */
  toolCalls: 'tool_calls',
  /**
   * A reply not stored whole: cut short (the client went away, the upstream failed or timed out),
   * or longer than a message can hold (MAX_CONTENT_LENGTH, or a part beyond the proxy's 8 MiB
   * reading bound): what arrived, as much as fits.
   */
  incomplete: 'incomplete',
  /** The tool calls of a reply not stored whole. */
  incompleteToolCalls: 'incomplete_tool_calls',
} as const;

/** Text longer than the service accepts is cut, so the turn is still recorded. */
function clip(text: string, limit: number): string {
  return text.length > limit ? text.slice(0, limit) : text;
}

/**
 * The messages one proxied call adds to memory: the user's latest text, then the reply's text and
 * its tool calls (a JSON note); a part cut short or cut to `limit` (here or by the stream reader) is
 * typed `incomplete`, so memory never passes a fragment off as the whole reply. Empty parts are left
 * out.
 */
export function turnMessages(
  userText: string | null,
  reply: Reply,
  complete: boolean,
  limit: number,
): { role: MessageRole; content: string; type: string }[] {
  const messages: { role: MessageRole; content: string; type: string }[] = [];
  if (userText?.trim()) messages.push({ role: 'USER', content: clip(userText, limit), type: 'text' });
  if (reply.text.trim()) {
    const whole = complete && !reply.textTruncated && reply.text.length <= limit;
    messages.push({
      role: 'ASSISTANT',
      content: clip(reply.text, limit),
      type: whole ? 'text' : MESSAGE_TYPES.incomplete,
    });
  }
  if (reply.toolCalls.length > 0) {
    const calls = JSON.stringify(reply.toolCalls);
    const whole = complete && !reply.toolCallsTruncated && calls.length <= limit;
    messages.push({
      role: 'ASSISTANT',
      content: clip(calls, limit),
      type: whole ? MESSAGE_TYPES.toolCalls : MESSAGE_TYPES.incompleteToolCalls,
    });
  }
  return messages;
}

/** Records a call's turn through recordConversation (which enqueues augmentation); nothing to record, nothing done. */
export async function recordTurn(
  deps: ServiceDeps,
  actor: Actor,
  owner: CallOwner,
  userText: string | null,
  reply: Reply,
  complete: boolean,
): Promise<void> {
  const messages = turnMessages(userText, reply, complete, deps.limits.maxContentLength);
  if (messages.length === 0) return;
  await recordConversation(deps, actor, {
    entity: owner.entity,
    process: owner.process,
    session: owner.session,
    messages,
  });
}
