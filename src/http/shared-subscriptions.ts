/** One graphql-ws operation that takes its events from a group. */
export interface GroupMember {
  /** The operation's id on its socket: the only part of the frame that differs between members. */
  id: string;
  /** Writes one whole graphql-ws frame to the member's socket. */
  send: (frame: string) => void;
}

/** An execution result as graphql-ws sends it: any fields, and errors in their JSON form. */
interface SharedResult {
  errors?: readonly { toJSON(): unknown }[];
}

interface Waiting {
  resolve: (result: IteratorResult<never>) => void;
  reject: (error: unknown) => void;
}

interface Member extends GroupMember {
  /** The prefix of every `next` frame of this member: `{"id":<id>,"type":"next","payload":`. */
  prefix: string;
  /** graphql-ws's pending `next()`: settled when the group ends, or the member leaves. */
  waiting: Waiting | null;
  /** How the group ended, for a `next()` that comes after it. */
  ended: { error: unknown } | { done: true } | null;
}

interface Group {
  source: AsyncIterator<SharedResult>;
  members: Set<Member>;
  closed: boolean;
}

/**
 * The `payload` of graphql-ws's `next` message, as graphql-ws itself writes it (errors last, as
 * their JSON form), serialized once for every member.
 */
function payloadJson(result: SharedResult): string {
  const { errors, ...rest } = result;
  return JSON.stringify({ ...rest, ...(errors ? { errors: errors.map((error) => error.toJSON()) } : {}) });
}

function settle(member: Member, ended: Member['ended'] & object): void {
  member.ended = ended;
  const waiting = member.waiting;
  member.waiting = null;
  if (!waiting) return;
  if ('error' in ended) waiting.reject(ended.error);
  else waiting.resolve({ done: true, value: undefined });
}

/**
 * Subscription operations whose results are provably identical share one execution: the caller
 * groups them under a key made of everything a result depends on (document text, variables,
 * operation name, and the caller's whole principal). Each event is executed and serialized once per
 * group, and the same bytes go to every member's socket, with only the operation id in front.
 *
 * A member's own operation is still started (so authorization, limits and metrics see every
 * subscriber); a member that finds its group running drops its own event stream at once. The
 * group's stream ends when its last member leaves; when the stream ends or fails, every member
 * ends the same way (graphql-ws then sends each one's `complete` or `error`).
 */
export function createSubscriptionGroups() {
  const groups = new Map<string, Group>();
  /** Called when a member joins a running group (it then registers no bus listener of its own). */
  const followed = new Set<() => void>();

  const close = (key: string, group: Group) => {
    if (group.closed) return;
    group.closed = true;
    if (groups.get(key) === group) groups.delete(key);
    void group.source.return?.()?.catch(() => {});
  };

  const pump = async (key: string, group: Group) => {
    let ending: Member['ended'] & object;
    try {
      for (;;) {
        const next = await group.source.next();
        if (next.done || group.closed) {
          ending = { done: true };
          break;
        }
        const payload = payloadJson(next.value);
        for (const member of group.members) member.send(`${member.prefix}${payload}}`);
      }
    } catch (error) {
      ending = { error };
    }
    // New subscribers start a group of their own from here on.
    if (groups.get(key) === group) groups.delete(key);
    group.closed = true;
    for (const member of group.members) settle(member, ending);
    group.members.clear();
  };

  return {
    /**
     * Adds a member to the group of `key`, starting the group with `source` (the member's own
     * subscription) when none runs; otherwise `source` is closed. Returns what graphql-ws iterates for
     * the member: it yields nothing itself (the group writes the frames) and ends with the group.
     */
    join(
      key: string,
      source: AsyncIterable<SharedResult>,
      joining: GroupMember,
    ): AsyncIterableIterator<never> {
      const member: Member = {
        ...joining,
        prefix: `{"id":${JSON.stringify(joining.id)},"type":"next","payload":`,
        waiting: null,
        ended: null,
      };
      const running = groups.get(key);
      const group: Group = running ?? {
        source: source[Symbol.asyncIterator](),
        members: new Set(),
        closed: false,
      };
      group.members.add(member);
      if (running) {
        const own = source[Symbol.asyncIterator]();
        void own.return?.()?.catch(() => {});
        for (const listener of followed) listener();
      } else {
        groups.set(key, group);
        // Its first pull registers the bus listener, synchronously: events published from now on arrive.
        void pump(key, group);
      }
      const leave = (): Promise<IteratorResult<never>> => {
        if (group.members.delete(member) && group.members.size === 0) close(key, group);
        settle(member, { done: true });
        return Promise.resolve({ done: true, value: undefined });
      };
      const iterator: AsyncIterableIterator<never> = {
        [Symbol.asyncIterator]: () => iterator,
        next: () => {
          const ended = member.ended;
          if (ended) {
            return 'error' in ended
              ? Promise.reject(ended.error)
              : Promise.resolve({ done: true, value: undefined });
          }
          return new Promise((resolve, reject) => {
            member.waiting = { resolve, reject };
          });
        },
        return: leave,
        throw: (error: unknown) => {
          void leave();
          return Promise.reject(error);
        },
      };
      return iterator;
    },
    /** Calls `listener` each time a member joins a running group; returns what stops it. */
    onFollow(listener: () => void): () => void {
      followed.add(listener);
      return () => followed.delete(listener);
    },
    /** The member count of each group running now. */
    sizes(): number[] {
      return [...groups.values()].map((group) => group.members.size);
    },
  };
}

export type SubscriptionGroups = ReturnType<typeof createSubscriptionGroups>;
