import { StringDecoder } from 'node:string_decoder';

/**
 * An incremental server-sent events parser: bytes in as they arrive (split anywhere, even inside a
 * UTF-8 character), `onEvent(name, data)` out per complete event. Comments and ids are ignored.
 */
export function sseParser(onEvent: (name: string | null, data: string) => void) {
  const decoder = new StringDecoder('utf8');
  let buffered = '';
  let name: string | null = null;
  let data: string[] = [];
  const line = (text: string) => {
    if (text === '') {
      if (data.length > 0) onEvent(name, data.join('\n'));
      name = null;
      data = [];
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') name = value;
  };
  const drain = () => {
    let at = buffered.search(/\r\n|\n|\r/);
    while (at !== -1) {
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (buffered[at] === '\r' && at === buffered.length - 1) break;
      const width = buffered.startsWith('\r\n', at) ? 2 : 1;
      line(buffered.slice(0, at));
      buffered = buffered.slice(at + width);
      at = buffered.search(/\r\n|\n|\r/);
    }
  };
  return {
    push(chunk: Buffer) {
      buffered += decoder.write(chunk);
      drain();
    },
    /** The stream ended: a last event without its blank line still counts. */
    end() {
      buffered += decoder.end();
      drain();
      if (buffered) line(buffered);
      buffered = '';
      line('');
    },
  };
}
