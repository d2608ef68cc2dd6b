import { describe, expect, it } from 'vitest';
import { anthropicProvider } from '../src/proxy/anthropic.ts';
import { approximateTokens, MEMORY_CLOSE, MEMORY_OPEN, memoryBlock } from '../src/proxy/inject.ts';
import { openaiProvider } from '../src/proxy/openai.ts';
import { turnMessages } from '../src/proxy/record.ts';
import { sseParser } from '../src/proxy/sse.ts';
import { MAX_KEPT } from '../src/proxy/types.ts';

/** The proxy's pure parts: SSE parsing, the memory block and its budget, what a turn records. */
describe('proxy parts', () => {
  it('parses server-sent events split anywhere, even inside a character or a CRLF', () => {
    const text = 'event: a\r\ndata: {"x":"é"}\r\n\r\n: comment\ndata: one\ndata: two\n\ndata: last';
    const bytes = Buffer.from(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const events: [string | null, string][] = [];
      const parser = sseParser((name, data) => events.push([name, data]));
      parser.push(bytes.subarray(0, cut));
      parser.push(bytes.subarray(cut));
      parser.end();
      expect(events).toEqual([
        ['a', '{"x":"é"}'],
        [null, 'one\ntwo'],
        [null, 'last'],
      ]);
    }
  });

  it('drops a 20 MB line without a line break from parsing, holding at most its bound, then parses on', () => {
    const events: [string | null, string][] = [];
    const parser = sseParser((name, data) => events.push([name, data]));
    parser.push(Buffer.from('data: first\n\n'));
    const piece = Buffer.alloc(64 * 1024, 'x');
    parser.push(Buffer.from('data: '));
    let held = 0;
    for (let sent = 0; sent < 20_000_000; sent += piece.length) {
      parser.push(piece);
      held = Math.max(held, parser.retained());
    }
    expect(held).toBeLessThanOrEqual(MAX_KEPT);
    parser.push(Buffer.from('\n\nevent: after\ndata: {"ok":true}\n\n'));
    parser.end();
    expect(events).toEqual([
      [null, 'first'],
      ['after', '{"ok":true}'],
    ]);
    expect(parser.dropped()).toBe(1);
    expect(parser.retained()).toBe(0);
  });

  it('drops events beyond the bound (one long line or many lines) and recovers, split anywhere', () => {
    const text =
      `data: ${'a'.repeat(150)}\r\n\r\ndata: one\n\n` +
      `data: ${'b'.repeat(60)}\ndata: ${'c'.repeat(60)}\n\n` +
      `: ${'d'.repeat(150)}\revent: e\r\r` +
      'event: f\r\ndata: two\r\n\r\ndata: last';
    const bytes = Buffer.from(text);
    const check = (pieces: Buffer[]) => {
      const events: [string | null, string][] = [];
      const parser = sseParser((name, data) => events.push([name, data]), { maxEventLength: 100 });
      for (const piece of pieces) {
        parser.push(piece);
        expect(parser.retained()).toBeLessThanOrEqual(100);
      }
      parser.end();
      expect(events).toEqual([
        [null, 'one'],
        ['f', 'two'],
        [null, 'last'],
      ]);
      expect(parser.dropped()).toBe(3);
    };
    for (let cut = 0; cut <= bytes.length; cut++) check([bytes.subarray(0, cut), bytes.subarray(cut)]);
    check([...bytes].map((byte) => Buffer.from([byte])));
  });

  it('keeps at most the content limit of a streamed OpenAI reply and records it as incomplete', () => {
    const reader = openaiProvider.streamReader(250);
    const chunk = (delta: unknown) => JSON.stringify({ choices: [{ index: 0, delta }] });
    for (let i = 0; i < 1000; i++) reader.event(null, chunk({ content: `${i % 10}`.repeat(100) }));
    reader.event(
      null,
      chunk({ tool_calls: [{ index: 0, id: 'c1', function: { name: 'f', arguments: '' } }] }),
    );
    for (let i = 0; i < 1000; i++)
      reader.event(null, chunk({ tool_calls: [{ index: 0, function: { arguments: 'y'.repeat(100) } }] }));
    // Calls beyond the budget are not kept either.
    for (let i = 1; i < 1000; i++) reader.event(null, chunk({ tool_calls: [{ index: i }] }));
    reader.event(null, '[DONE]');
    const reply = reader.reply();
    expect(reply.text).toBe(`${'0'.repeat(100)}${'1'.repeat(100)}${'2'.repeat(50)}`);
    expect(reply.textTruncated).toBe(true);
    expect(reply.toolCalls).toEqual([
      { id: 'c1', type: 'function', function: { name: 'f', arguments: 'y'.repeat(250 - 1 - 2 - 1) } },
    ]);
    expect(reply.toolCallsTruncated).toBe(true);
    expect(turnMessages('Hi', reply, true, 250).slice(1)).toEqual([
      { role: 'ASSISTANT', content: reply.text, type: 'incomplete' },
      {
        role: 'ASSISTANT',
        content: JSON.stringify(reply.toolCalls).slice(0, 250),
        type: 'incomplete_tool_calls',
      },
    ]);

    // A reply of exactly the limit is whole.
    const exact = openaiProvider.streamReader(250);
    exact.event(null, chunk({ content: 'z'.repeat(250) }));
    expect(exact.reply()).toEqual({ text: 'z'.repeat(250), toolCalls: [] });
    expect(turnMessages(null, exact.reply(), true, 250)).toEqual([
      { role: 'ASSISTANT', content: 'z'.repeat(250), type: 'text' },
    ]);
  });

  it('keeps at most the content limit of a streamed Anthropic reply and records it as incomplete', () => {
    const reader = anthropicProvider.streamReader(250);
    const event = (data: unknown) => reader.event(null, JSON.stringify(data));
    event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    for (let i = 0; i < 1000; i++)
      event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'a'.repeat(100) } });
    event({
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 't1', name: 'f', input: {} },
    });
    for (let i = 0; i < 1000; i++)
      event({
        type: 'content_block_delta',
        index: 1,
        delta: { type: 'input_json_delta', partial_json: '[1,' },
      });
    // Blocks beyond the budget are not kept either.
    for (let i = 2; i < 1000; i++)
      event({
        type: 'content_block_start',
        index: i,
        content_block: { type: 'tool_use', id: 't', name: 'g' },
      });
    event({ type: 'message_stop' });
    const reply = reader.reply();
    expect(reply.text).toBe('a'.repeat(250));
    expect(reply.textTruncated).toBe(true);
    // Cut arguments are no JSON: kept as the text that arrived. One character for the call, two
    // for its id, one for its name, two for `{}`.
    expect(reply.toolCalls).toEqual([{ id: 't1', name: 'f', input: '[1,'.repeat(100).slice(0, 244) }]);
    expect(reply.toolCallsTruncated).toBe(true);
    expect(turnMessages(null, reply, true, 250).map((message) => message.type)).toEqual([
      'incomplete',
      'incomplete_tool_calls',
    ]);
  });

  it('keeps the memory block within its token budget, dropping the weakest memories whole', () => {
    const facts = Array.from({ length: 50 }, (_, i) => `fact number ${i} ${'x'.repeat(40)}`);
    const block = memoryBlock({ facts, triples: ['a likes b'] }, 100) as string;
    expect(approximateTokens(block)).toBeLessThanOrEqual(100);
    expect(block.startsWith(`${MEMORY_OPEN}\n`)).toBe(true);
    expect(block.endsWith(`\n${MEMORY_CLOSE}`)).toBe(true);
    expect(block).toContain('fact number 0 ');
    expect(block).not.toContain('fact number 49');
    expect(
      block
        .split('\n')
        .filter((line) => line.startsWith('- fact'))
        .every((line) => line.endsWith('x')),
    ).toBe(true);
    expect(memoryBlock({ facts: [], triples: [] }, 100)).toBeNull();
    expect(memoryBlock({ facts: ['f'], triples: ['s p o'] }, 1000)).toContain('Relations:\n- s p o');
  });

  it('adds system text without touching the caller’s messages or system text', () => {
    const messages = [
      { role: 'developer', content: 'Rules.' },
      { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
    ];
    const openai = openaiProvider.inject({ model: 'm', messages }, 'MEM');
    expect(openai.messages).toEqual([messages[0], { role: 'system', content: 'MEM' }, messages[1]]);
    expect(openaiProvider.latestUserText({ messages })).toBe('Hi');
    const blocks = [{ type: 'text', text: 'Sys', cache_control: { type: 'ephemeral' } }];
    expect(anthropicProvider.inject({ system: blocks }, 'MEM').system).toEqual([
      ...blocks,
      { type: 'text', text: 'MEM' },
    ]);
    expect(anthropicProvider.inject({}, 'MEM').system).toBe('MEM');
    // A user turn of tool results only is passed over for the user's last words.
    expect(
      anthropicProvider.latestUserText({
        messages: [
          { role: 'user', content: 'Weather?' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'w', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 'sunny' }] },
        ],
      }),
    ).toBe('Weather?');
  });

  it('assembles streamed OpenAI tool calls and records them as a JSON note', () => {
    const reader = openaiProvider.streamReader(1000);
    const chunk = (delta: unknown) => JSON.stringify({ choices: [{ index: 0, delta }] });
    reader.event(
      null,
      chunk({ tool_calls: [{ index: 0, id: 'c1', function: { name: 'wea', arguments: '{"ci' } }] }),
    );
    reader.event(
      null,
      chunk({ tool_calls: [{ index: 0, function: { name: 'ther', arguments: 'ty":1}' } }] }),
    );
    expect(reader.ended()).toBe(false);
    reader.event(null, '[DONE]');
    expect(reader.ended()).toBe(true);
    const reply = reader.reply();
    expect(reply).toEqual({
      text: '',
      toolCalls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"city":1}' } }],
    });
    expect(turnMessages('Hi', reply, false, 100)).toEqual([
      { role: 'USER', content: 'Hi', type: 'text' },
      { role: 'ASSISTANT', content: JSON.stringify(reply.toolCalls), type: 'incomplete_tool_calls' },
    ]);
    expect(turnMessages('x'.repeat(10), { text: 'y', toolCalls: [] }, true, 4)[0]?.content).toBe('xxxx');
    // A whole (non-streamed) reply longer than a message is cut the same way, and marked the same.
    expect(turnMessages(null, { text: 'y'.repeat(10), toolCalls: [] }, true, 4)).toEqual([
      { role: 'ASSISTANT', content: 'yyyy', type: 'incomplete' },
    ]);
  });
});
