import { StringDecoder } from 'node:string_decoder';
import { MAX_KEPT } from './types.ts';

export interface SseParserOptions {
  /**
   * Most characters held for one event (its data lines and the line being read): a longer event or
   * line is dropped from parsing, and parsing goes on at the next event.
   * @default MAX_KEPT (8 Mi)
   */
  maxEventLength?: number;
}

/**
 * An incremental server-sent events parser: bytes in as they arrive (split anywhere, even inside a
 * UTF-8 character), `onEvent(name, data)` out per complete event. Comments and ids are ignored.
 * What it holds stays within `maxEventLength` whatever the upstream sends.
 */
export function sseParser(
  onEvent: (name: string | null, data: string) => void,
  { maxEventLength = MAX_KEPT }: SseParserOptions = {},
) {
  const decoder = new StringDecoder('utf8');
  /** The line not yet ended (a lone \r at its end may be the first half of \r\n). */
  let buffered = '';
  /** `buffered` ends with that lone \r (a flag: reading a long line's last character copies it). */
  let endsWithCr = false;
  let name: string | null = null;
  let data: string[] = [];
  let dataLength = 0;
  /** The current event went beyond the bound: its lines are ignored until the blank line ending it. */
  let dropping = false;
  /** The line being read went beyond the bound: what arrives is dropped until a line break. */
  let overlong = false;
  let dropped = 0;
  const drop = () => {
    if (!dropping) dropped++;
    dropping = true;
    data = [];
    dataLength = 0;
  };
  const line = (text: string) => {
    if (text === '') {
      if (!dropping && data.length > 0) onEvent(name, data.join('\n'));
      name = null;
      data = [];
      dataLength = 0;
      dropping = false;
      return;
    }
    // As long a line as arrived whole is dropped as one that arrived in pieces would be.
    if (text.length > maxEventLength) drop();
    if (dropping || text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      dataLength += value.length + 1;
      if (dataLength > maxEventLength) drop();
      else data.push(value);
    } else if (field === 'event') name = value;
  };
  const drain = () => {
    endsWithCr = false;
    let at = buffered.search(/\r\n|\n|\r/);
    while (at !== -1) {
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (buffered[at] === '\r' && at === buffered.length - 1) {
        endsWithCr = true;
        break;
      }
      const width = buffered.startsWith('\r\n', at) ? 2 : 1;
      line(buffered.slice(0, at));
      buffered = buffered.slice(at + width);
      at = buffered.search(/\r\n|\n|\r/);
    }
  };
  const read = (text: string) => {
    if (overlong) {
      const at = text.search(/[\r\n]/);
      if (at === -1) return;
      overlong = false;
      // The dropped line's place is held by an empty comment, so the break ending it is read as
      // any other (\r\n split between chunks included), not as a blank line.
      text = `:${text.slice(at)}`;
    }
    // A line arriving in many chunks is only searched for its end in the new text.
    const pending = buffered === '' || endsWithCr || /[\r\n]/.test(text);
    buffered += text;
    if (pending) drain();
    if (buffered.length + dataLength > maxEventLength) {
      drop();
      // A line already ended by a \r (which the next chunk may pair with a \n) is dropped up to there.
      overlong = !endsWithCr;
      buffered = overlong ? '' : ':\r';
    }
  };
  return {
    push(chunk: Buffer) {
      read(decoder.write(chunk));
    },
    /** The stream ended: a last event without its blank line still counts. */
    end() {
      read(decoder.end());
      // A \r at the very end ends its line: there is no \n to wait for.
      if (buffered) line(buffered.replace(/\r$/, ''));
      buffered = '';
      overlong = false;
      line('');
    },
    /** Events left out for going beyond `maxEventLength` so far. */
    dropped: () => dropped,
    /** Characters held now (the line not yet ended and the event's data): tests check the bound. */
    retained: () => buffered.length + dataLength,
  };
}
