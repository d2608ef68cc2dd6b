/** Longest extractive summary kept on a conversation, in characters. */
const MAX_SUMMARY = 600;

/**
 * The summary written when no LLM is configured: extractive, built from what the user said that
 * carried memories (the messages facts were extracted from), newest kept when it grows too long.
 * Deterministic and free; an LLM extractor writes an abstractive summary instead.
 */
export function extractiveSummary(previous: string | null, informative: string[]): string | null {
  // Questions carry no memory ("what time is it?"): statements only.
  const statements = informative.flatMap(splitSentences).filter((sentence) => !sentence.endsWith('?'));
  const sentences = (previous ? splitSentences(previous) : []).concat(statements);
  const unique = [...new Set(sentences)];
  if (unique.length === 0) return previous;
  const kept: string[] = [];
  let length = 0;
  for (let i = unique.length - 1; i >= 0; i--) {
    const sentence = unique[i] as string;
    if (length + sentence.length + 1 > MAX_SUMMARY) break;
    kept.unshift(sentence);
    length += sentence.length + 1;
  }
  return kept.join(' ') || previous;
}

function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+/)
    .map((sentence) => sentence.replace(/\s+/g, ' ').trim())
    .filter((sentence) => sentence.length > 0);
}
