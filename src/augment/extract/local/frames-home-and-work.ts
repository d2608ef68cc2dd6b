/**
 * Verb frames for where the subject lives, lived, comes from and was born, and for work and study.
 * One of three files of frames (split by topic to stay readable); frames.ts puts them in the order
 * they are tried.
 */

import { ANY, type Frame, frame, PERSON } from './frame.ts';
import {
  emitPlaceOrHome,
  emitPlaces,
  emitWorkplace,
  hasDuration,
  occupation,
  occupationTail,
  places,
} from './frame-objects.ts';
import { CONVERSATIONAL, MONTHS, NP_REJECT_START } from './grammar-words.ts';
import { isPlace, parseDate } from './phrase-recognizers.ts';
import { type Phrase, parsePhrases } from './phrases.ts';
import { isTimeToken, type Token } from './tokens.ts';
import { BUSINESSES, DWELLINGS, NOT_CURRENT } from './vocabulary.ts';
import { lowerFirst, titleCase } from './wording.ts';

/** Where the subject lives, lived, comes from, was born. */
export const HOME_FRAMES: Frame[] = [
  frame(
    ANY,
    'live|lives|am living|is living|are living|reside|resides|am residing|am based|is based|are based|am located|are located|based',
    (c) => (c.tokens[c.at]?.norm === 'in' ? emitPlaceOrHome({ ...c, at: c.at + 1 }, 'lives_in') : false),
  ),
  frame(PERSON, 'do not live|does not live|no longer live|no longer lives', (c) => {
    // "I don't live in London anymore": used to.
    if (c.tokens[c.at]?.norm !== 'in') return false;
    const found = places(c.tokens, c.at + 1);
    if (!/no longer/.test(c.said) && !['anymore', 'any'].includes(c.tokens[found.end]?.norm ?? ''))
      return false;
    for (const p of found.phrases) c.out.triple(c.subject, 'lived_in', p.text, { objectType: 'place' });
    return found.phrases.length > 0;
  }),
  frame(ANY, 'have been living|has been living|have been based|has been based|been living|been based', (c) =>
    c.tokens[c.at]?.norm === 'in' ? emitPlaces({ ...c, at: c.at + 1 }, 'lives_in') : false,
  ),
  frame(ANY, 'have lived in|has lived in|have been in|has been in', (c) => {
    const found = places(c.tokens, c.at, true);
    // "for ten years", "my whole life": still there; "I've lived in Tokyo and Seoul": used to.
    const still = found.phrases.length === 1 && hasDuration(c.tokens, found.end);
    // "I've been in Paris" says where the user was, not where home is, unless it has lasted.
    if (/been in$/.test(c.said) && !still) return false;
    for (const p of found.phrases)
      c.out.triple(c.subject, still ? 'lives_in' : 'lived_in', p.text, { objectType: 'place' });
    return found.phrases.length > 0;
  }),
  frame(
    ANY,
    'moved|relocated|have moved|has moved|have relocated|has relocated|had moved|have just moved',
    (c) => {
      let i = c.at;
      while (['back', 'here', 'over', 'out', 'away', 'all', 'the', 'way'].includes(c.tokens[i]?.norm ?? ''))
        i++;
      let from: Phrase | undefined;
      let to: Phrase | undefined;
      if (c.tokens[i]?.norm === 'from') {
        const found = places(c.tokens, i + 1);
        from = found.phrases[0];
        i = found.end;
        if (c.tokens[i]?.norm === 'to') to = places(c.tokens, i + 1).phrases[0];
      } else if (c.tokens[i]?.norm === 'to' || c.tokens[i]?.norm === 'into') {
        let found = places(c.tokens, i + 1);
        if (found.phrases.length === 0) {
          // "moved into a new flat in Manchester".
          const home = parsePhrases(c.tokens, i + 1, { max: 4, infinitive: false });
          const head = home.phrases[0]?.tokens.at(-1)?.norm ?? '';
          if (DWELLINGS.has(head) && c.tokens[home.end]?.norm === 'in')
            found = places(c.tokens, home.end + 1);
        }
        to = found.phrases[0];
        i = found.end;
        while (
          c.tokens[i] !== undefined &&
          c.tokens[i]?.norm !== 'from' &&
          !c.tokens[i]?.punct &&
          i < found.end + 4
        )
          i++;
        if (c.tokens[i]?.norm === 'from') from = places(c.tokens, i + 1).phrases[0];
      }
      if (to) c.out.triple(c.subject, 'lives_in', to.text, { objectType: 'place' });
      if (from) c.out.triple(c.subject, 'lived_in', from.text, { objectType: 'place' });
      return to !== undefined || from !== undefined;
    },
  ),
  frame(ANY, 'lived|used to live', (c) =>
    c.tokens[c.at]?.norm === 'in' ? emitPlaces({ ...c, at: c.at + 1 }, 'lived_in', true) : false,
  ),
  frame(
    PERSON,
    'am from|is from|am originally from|is originally from|come from|comes from|came from|grew up in|was raised in',
    (c) => emitPlaceOrHome(c, 'is_from'),
  ),
  frame(PERSON, 'was born and raised|were born and raised|was born and grew up', (c) => {
    // "I was born and raised in Glasgow": both where from and where born.
    if (c.tokens[c.at]?.norm !== 'in') return false;
    const found = places(c.tokens, c.at + 1).phrases[0];
    if (found === undefined) return false;
    c.out.triple(c.subject, 'born_in', found.text, { objectType: 'place' });
    c.out.triple(c.subject, 'is_from', found.text, { objectType: 'place' });
    return true;
  }),
  frame(PERSON, 'was born|were born', (c) => {
    const preposition = c.tokens[c.at]?.norm;
    if (preposition === 'on' || (preposition === 'in' && MONTHS.has(c.tokens[c.at + 1]?.norm ?? ''))) {
      const date = parseDate(c.tokens, c.at);
      if (date === null) return false;
      c.out.triple(c.subject, 'has_birthday', date.phrase.text, { objectType: 'date' });
      return true;
    }
    if (preposition !== 'in') return false;
    let found = false;
    let i = c.at;
    // "born in Porto in 1988", "born in 1988 in Porto".
    for (let round = 0; round < 2 && c.tokens[i]?.norm === 'in'; round++) {
      const year = c.tokens[i + 1]?.norm ?? '';
      if (/^(1[89]|20)\d\d$/.test(year)) {
        c.out.triple(c.subject, 'born_in_year', year, { objectType: 'date' });
        found = true;
        i += 2;
      } else {
        const place = places(c.tokens, i + 1);
        const p = place.phrases[0];
        if (p === undefined) break;
        c.out.triple(c.subject, 'born_in', p.text, { objectType: 'place' });
        found = true;
        i = place.end;
      }
    }
    return found;
  }),
];

/** Work and study, and where the subject no longer works. */
export const WORK_FRAMES: Frame[] = [
  frame(PERSON, 'do not work|does not work|no longer work|no longer works', (c) => {
    const preposition = c.tokens[c.at]?.norm;
    if (preposition !== 'at' && preposition !== 'for') return false;
    const { end } = parsePhrases(c.tokens, c.at + 1, { max: 5, infinitive: false });
    if (!/no longer/.test(c.said) && !['anymore', 'any'].includes(c.tokens[end]?.norm ?? '')) return false;
    return emitWorkplace(c, c.at + 1, 'worked_at') > c.at + 1;
  }),
  frame(
    PERSON,
    'work as|works as|am working as|is working as|have been working as|has been working as',
    (c) => {
      const { phrases, end } = parsePhrases(c.tokens, c.at, { max: 5, infinitive: false });
      const p = phrases[0];
      if (p === undefined || p.tokens.some((token) => NOT_CURRENT.has(token.norm))) return false;
      c.out.triple(c.subject, 'works_as', lowerFirst(p.text), {
        objectType: 'occupation',
      });
      occupationTail(c, end, false);
      return true;
    },
  ),
  frame(
    PERSON,
    '(?:work|works|am working|is working|have been working|has been working|have worked|has worked|started working|have started working|began working)(?: (?:night|nights|shifts|shift|part|full|time|remotely|weekends|evenings|mornings|there|currently|mostly|long|hours|overtime))*',
    (c) => {
      const preposition = c.tokens[c.at]?.norm;
      const perfect = /\b(have|has) worked\b/.test(c.said);
      if (preposition === 'at' || preposition === 'for') {
        const end = emitWorkplace(
          c,
          c.at + 1,
          perfect && !hasDuration(c.tokens, c.at + 2) ? 'worked_at' : 'works_at',
        );
        if (end === c.at + 1) return false;
        if (c.tokens[end]?.norm === 'as') {
          const found = occupation(c.tokens, end + 1);
          if (found) c.out.triple(c.subject, 'works_as', found.phrase.text, { objectType: 'occupation' });
        }
        return true;
      }
      if (preposition === 'in' && !perfect) {
        const next = c.tokens[c.at + 1];
        if (next === undefined || next.tags.has('Determiner') || NP_REJECT_START.has(next.norm)) return false;
        const { phrases } = parsePhrases(c.tokens, c.at + 1, { max: 3, infinitive: false });
        const p = phrases[0];
        if (p === undefined || p.tokens.some((token) => isTimeToken(token))) return false;
        const place = isPlace(p);
        c.out.triple(c.subject, 'works_in', place ? titleCase(p.text) : p.text, {
          objectType: place ? 'place' : 'field',
        });
        return true;
      }
      return false;
    },
  ),
  frame(PERSON, 'used to work|worked', (c) => {
    const preposition = c.tokens[c.at]?.norm;
    if (preposition !== 'at' && preposition !== 'for') return false;
    return emitWorkplace(c, c.at + 1, 'worked_at') > c.at + 1;
  }),
  frame(
    PERSON,
    '(?:started|got|landed|accepted|took|began|have started|have got|just got)(?: (?:a|an|my|the))?(?: new)?(?: full-time| part-time)?(?: (?:job|position|role|internship|gig))?',
    (c) => {
      if (!/job|position|role|internship|gig|started|began/.test(c.said)) return false;
      let at = c.at;
      let found = false;
      // "I just got a job as a nurse at the local hospital".
      if (c.tokens[at]?.norm === 'as' && /job|position|role/.test(c.said)) {
        const job = occupation(c.tokens, at + 1);
        if (job === null) return false;
        c.out.triple(c.subject, 'works_as', job.phrase.text, { objectType: 'occupation' });
        found = true;
        at = job.end;
      }
      const preposition = c.tokens[at]?.norm;
      if (preposition !== 'at' && preposition !== 'with') return found;
      if (preposition === 'with' && !c.tokens[at + 1]?.cap) return found;
      return emitWorkplace(c, at + 1) > at + 1 || found;
    },
  ),
  frame(PERSON, 'quit my job|left my job|quit my position', (c) =>
    c.tokens[c.at]?.norm === 'at' ? emitWorkplace(c, c.at + 1, 'worked_at') > c.at + 1 : false,
  ),
  frame(ANY, 'own|owns|run my own|run our own|have my own|run|runs', (c) => {
    if (!/own$/.test(c.said) && !['a', 'an'].includes(c.tokens[c.at]?.norm ?? '')) return false;
    const { phrases } = parsePhrases(c.tokens, c.at, { max: 4, infinitive: false });
    const p = phrases[0];
    if (p === undefined) return false;
    // "I run a bakery" but not "I run a marathon": running means owning only for businesses.
    if (/\bruns?$/.test(c.said) && !BUSINESSES.has(p.tokens.at(-1)?.norm ?? '')) return false;
    c.out.triple(c.subject, 'owns', p.text, { objectType: null });
    return true;
  }),
  frame(
    PERSON,
    'study|studies|am studying|is studying|am majoring in|is majoring in|major in|am specializing in',
    (c) => {
      if (c.tokens[c.at]?.norm === 'at') return emitWorkplace(c, c.at + 1, 'studies_at') > c.at + 1;
      const { phrases, end } = parsePhrases(c.tokens, c.at, { max: 3, infinitive: false });
      const p = phrases[0];
      if (p === undefined || p.tokens.some((token) => token.tags.has('Pronoun') || isTimeToken(token)))
        return false;
      const head = p.tokens[p.tokens.length - 1] as Token;
      // "I study hard": a field of study is a noun.
      if (CONVERSATIONAL.has(head.norm) || !head.tags.has('Noun')) return false;
      c.out.triple(c.subject, 'studies', p.text, { objectType: 'field' });
      if (c.tokens[end]?.norm === 'at') emitWorkplace(c, end + 1, 'studies_at');
      return true;
    },
  ),
  frame(
    PERSON,
    "graduated from|have graduated from|has graduated from|studied at|went to school at|got my (?:degree|diploma|masters|master 's|bachelor 's|bachelors|phd|mba) (?:from|at)",
    (c) => emitWorkplace(c, c.at, 'studied_at') > c.at,
  ),
];
