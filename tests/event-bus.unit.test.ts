import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent } from '../src/events/codec.ts';
import { splitUtf8 } from '../src/events/postgres-transport.ts';
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

describe('events as text between processes', () => {
  it('brings Dates, BigInts and bytes back as themselves', () => {
    const row = {
      id: 7,
      content: 'tea',
      createdAt: new Date('2024-05-06T07:08:09.123Z'),
      validTo: null,
      big: 9007199254740993n,
      embedding: new Uint8Array([0, 1, 254, 255]),
      nested: [{ at: new Date(0) }],
      // An ordinary object that happens to have a `$date` key next to others stays as it is.
      lookalike: { $date: 1, other: true },
    };
    const back = decodeEvent(encodeEvent({ type: 'fact-changed:e', detail: { fact: row } })) as {
      detail: { fact: typeof row };
    };
    expect(back.detail.fact).toEqual(row);
    expect(back.detail.fact.createdAt).toBeInstanceOf(Date);
    expect(back.detail.fact.nested[0]?.at).toBeInstanceOf(Date);
    expect(back.detail.fact.embedding).toBeInstanceOf(Uint8Array);
  });

  it('cuts long text for NOTIFY by UTF-8 bytes, never inside a character', () => {
    const text = `${'déjà 東京 🚀 '.repeat(1000)}end`;
    const pieces = splitUtf8(text, 7_800);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(text);
    for (const piece of pieces) {
      expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(7_800);
      // A lone surrogate would be written as U+FFFD: the piece would not survive UTF-8.
      expect(Buffer.from(piece, 'utf8').toString('utf8')).toBe(piece);
    }
    expect(splitUtf8('short', 7_800)).toEqual(['short']);
  });
});
