/**
 * What a verb frame is: a pattern matched after the subject ("live in", "work at", "am a") and a
 * function that reads the words after it. Its own module so that the frame lists, the object
 * readers and the relation parser can all name FrameContext without importing one another.
 */

import { ADVERBS } from './grammar-words.ts';
import type { Output, Subject, SubjectKind } from './output.ts';
import type { Token } from './tokens.ts';

export interface FrameContext {
  tokens: readonly Token[];
  /** Index of the first token after the frame. */
  at: number;
  /** The words the frame matched ("have been working"), adverbs included. */
  said: string;
  subject: Subject;
  out: Output;
}

export interface Frame {
  /** Which subjects the frame applies to. */
  subjects: readonly SubjectKind[];
  pattern: RegExp;
  /** Emits what it finds; returns whether it found anything. */
  run(context: FrameContext): boolean;
}

export const ANY: readonly SubjectKind[] = ['user', 'we', 'named'];
export const PERSON: readonly SubjectKind[] = ['user', 'named'];
export const SELF: readonly SubjectKind[] = ['user'];
export const SELF_OR_WE: readonly SubjectKind[] = ['user', 'we'];

export function frame(subjects: readonly SubjectKind[], verbs: string, run: Frame['run']): Frame {
  return { subjects, pattern: new RegExp(`^${ADVERBS}(?:${verbs})(?= |$)`), run };
}
