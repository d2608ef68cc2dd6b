/**
 * The one helper every word list is built with. Separate so that the lexicon modules and the
 * tokenizer (which builds its typo table from a word list) share it without importing each other.
 */

export function words(text: string): Set<string> {
  return new Set(text.split(/\s+/).filter(Boolean));
}
