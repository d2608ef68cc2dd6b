import { describe, expect, it } from 'vitest';
import { anthropicProvider } from '../src/proxy/anthropic.ts';
import { approximateTokens, MEMORY_CLOSE, MEMORY_OPEN, memoryBlock } from '../src/proxy/inject.ts';
import { openaiProvider } from '../src/proxy/openai.ts';
import { turnMessages } from '../src/proxy/record.ts';
import { sseParser } from '../src/proxy/sse.ts';

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
    const reader = openaiProvider.streamReader();
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
  });
});
