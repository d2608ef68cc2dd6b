import { describe, expect, it } from 'vitest';
import { createEventBus } from '../src/events/pubsub.ts';

/** A payload shaped enough for the bus (it only looks at the object's identity). */
const change = (content: string) => ({ kind: 'CREATED', fact: { content }, entity: 'e' }) as never;

describe('the event bus and erased entities', () => {
  it('drops events about an erased entity that were still queued, and delivers later ones', async () => {
    const bus = createEventBus();
    const events = bus.subscribe('fact-changed', 'erased-1')[Symbol.asyncIterator]();
    const other = bus.subscribe('fact-changed', 'kept-1')[Symbol.asyncIterator]();
    // Listening starts with the first pull; nothing published before the erase is delivered after it.
    const first = events.next();
    const otherFirst = other.next();
    bus.publish('fact-changed', 'erased-1', change('before the erase, pulled already'));
    bus.publish('fact-changed', 'erased-1', change('before the erase, still queued'));
    bus.publish('fact-changed', 'kept-1', change('another entity'));
    bus.erased('erased-1', []);
    bus.publish('fact-changed', 'erased-1', change('after the erase (the entity anew)'));
    bus.publish('fact-changed', 'erased-1', change('after the erase, again'));

    expect((await first).value).toMatchObject({ fact: { content: 'after the erase (the entity anew)' } });
    expect((await events.next()).value).toMatchObject({ fact: { content: 'after the erase, again' } });
    expect((await otherFirst).value).toMatchObject({ fact: { content: 'another entity' } });
    await events.return?.();
    await other.return?.();
  });

  it('drops queued messages of the erased entity’s sessions', async () => {
    const bus = createEventBus();
    const messages = bus.subscribe('message-added', 7)[Symbol.asyncIterator]();
    const pending = messages.next();
    bus.publish('message-added', 7, { content: 'queued 1' } as never);
    bus.publish('message-added', 7, { content: 'queued 2' } as never);
    bus.erased('someone', [7]);
    bus.publish('message-added', 7, { content: 'after' } as never);
    expect((await pending).value).toMatchObject({ content: 'after' });
    await messages.return?.();
  });
});
