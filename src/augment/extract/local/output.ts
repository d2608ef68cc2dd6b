/**
 * The extraction being built for one input: the subject a statement is about (the user, "we", or a
 * named relative), and the collector that normalizes predicates, drops duplicates and words every
 * triple as a fact.
 */

import { normalizePredicate, predicateCategory } from '../../../services/predicates.ts';
import type { ExtractedCategory, ExtractedFact, ExtractedTriple } from '../../types.ts';
import { capitalize, describe } from './wording.ts';

export type SubjectKind = 'user' | 'we' | 'named';

export interface Subject {
  kind: SubjectKind;
  /** The name, for a named relative ("Anna"). */
  name?: string;
  /** The relation noun as said ("sister"), for the fact's wording. */
  relation?: string;
  /** person or animal. */
  type?: string;
}

export const USER: Subject = { kind: 'user' };

interface EmitOptions {
  objectType?: string | null;
  /** Added to the fact's wording ("next month", " over coffee"). */
  detail?: string;
  /** The whole fact's wording, when the template does not fit ("Has a sister named Anna"). */
  fact?: string;
}

export class Output {
  readonly facts: ExtractedFact[] = [];
  readonly triples: ExtractedTriple[] = [];
  private readonly seenFacts = new Set<string>();
  private readonly seenTriples = new Set<string>();
  /** The last relative named in this message, for "who" clauses ("a brother named Luke who ..."). */
  lastNamed: Subject | null = null;

  constructor(
    private readonly entity: string,
    public messageIndex: number,
  ) {}

  fact(content: string, category: ExtractedCategory): void {
    const key = content.toLowerCase();
    if (this.seenFacts.has(key)) return;
    this.seenFacts.add(key);
    this.facts.push({ content, category, messageIndex: this.messageIndex });
  }

  triple(subject: Subject, rawPredicate: string, object: string, options: EmitOptions = {}): void {
    const predicate = normalizePredicate(rawPredicate);
    const value = object.trim();
    if (value === '' || value.length > 80) return;
    const subjectName = subject.kind === 'named' ? (subject.name as string) : this.entity;
    const key = `${subjectName}\u0000${predicate}\u0000${value.toLowerCase()}`;
    if (!this.seenTriples.has(key)) {
      this.seenTriples.add(key);
      this.triples.push({
        subject: subjectName,
        predicate,
        object: value,
        subjectType: subject.kind === 'named' ? (subject.type ?? 'person') : 'person',
        objectType: options.objectType ?? null,
        messageIndex: this.messageIndex,
      });
    }
    const phrase = options.fact ?? describe(predicate, value, options.detail ?? '');
    if (subject.kind === 'named') {
      this.fact(`${capitalize(subject.relation ?? '')} ${subject.name} ${phrase}`.trim(), 'RELATIONSHIP');
    } else {
      this.fact(capitalize(phrase), predicateCategory(predicate));
    }
  }
}
