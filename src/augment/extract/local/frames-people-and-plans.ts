/**
 * Verb frames for relationships (married to, "I have two kids"), plans and travel, and who the
 * subject is (age, name, occupation, "a good swimmer"). The identity frames are tried last, as they
 * were in the single list: their "am"/"is" patterns match almost any clause.
 */

import { ANY, type Frame, frame, PERSON, SELF, SELF_OR_WE } from './frame.ts';
import {
  emitAge,
  emitOccupation,
  emitPerson,
  emitPlaces,
  hasDuration,
  occupation,
  occupationTail,
} from './frame-objects.ts';
import { isName, parseNumber } from './phrase-recognizers.ts';
import { parsePhrases } from './phrases.ts';
import { relationsHad } from './relations.ts';
import { endsAt } from './tokens.ts';
import { DEMONYMS, SKILL_AGENTS, SPORTS } from './vocabulary.ts';
import { titleCase } from './wording.ts';

/** Relationships. */
export const RELATIONSHIP_FRAMES: Frame[] = [
  frame(
    PERSON,
    'am married to|is married to|have been married to|has been married to|married|am engaged to|is engaged to|am dating|is dating|have been dating|am in a relationship with|is in a relationship with',
    (c) => {
      const predicate = /married/.test(c.said) ? 'married_to' : 'has_partner';
      return emitPerson(c, predicate, c.at);
    },
  ),
  frame(SELF_OR_WE, 'have got|has got|have|has|got', (c) => relationsHad(c)),
  frame(
    SELF,
    'am a (?:(?:single|proud|busy|working) )?(?:mom|mother|dad|father|mum|parent) of|am (?:mom|mother|dad|father|mum) of',
    (c) => {
      const number = parseNumber(c.tokens, c.at);
      if (number === null || !endsAt(c.tokens, number.end)) return false;
      c.out.triple(c.subject, 'number_of_children', String(number.value), {
        objectType: 'number',
        fact: `has ${number.value} ${number.value === 1 ? 'child' : 'children'}`,
      });
      return true;
    },
  ),
];

/** Plans and travel. */
export const PLAN_FRAMES: Frame[] = [
  frame(
    ANY,
    '(?:am|is|are) (?:going|flying|travell?ing|heading|driving|off|sailing|taking a trip|going on (?:a )?(?:trip|vacation|holiday))(?: back| over| down| up| out| away| home)?',
    (c) => (c.tokens[c.at]?.norm === 'to' ? emitPlaces({ ...c, at: c.at + 1 }, 'plans_to_visit') : false),
  ),
  frame(
    ANY,
    '(?:will|am going to|are going to|is going to|plan to|am planning to|are planning to) (?:be in|be visiting|visit|go to|fly to|travel to|head to|be going to|be flying to|be travell?ing to)',
    (c) => emitPlaces(c, 'plans_to_visit'),
  ),
  frame(ANY, 'am visiting|are visiting|is visiting', (c) => {
    if (emitPlaces(c, 'plans_to_visit')) return true;
    // "visiting my parents in Ohio next week".
    for (let i = c.at; i < Math.min(c.tokens.length, c.at + 5); i++) {
      if (c.tokens[i]?.norm === 'in') return emitPlaces({ ...c, at: i + 1 }, 'plans_to_visit');
      if (c.tokens[i]?.punct) break;
    }
    return false;
  }),
  frame(
    ANY,
    '(?:am|are|is) planning (?:a|our|my|the) (?:trip|vacation|holiday|visit)|(?:have|has) (?:a|an)(?: upcoming| big| work| business)? (?:trip|vacation|holiday|flight|conference)|booked (?:a|my|our|the) (?:flight|trip|ticket|tickets|hotel|holiday|vacation)',
    (c) => {
      const preposition = c.tokens[c.at]?.norm;
      return preposition === 'to' || preposition === 'in'
        ? emitPlaces({ ...c, at: c.at + 1 }, 'plans_to_visit')
        : false;
    },
  ),
  frame(
    ANY,
    '(?:am|are|is) (?:moving|relocating)(?: back)?|(?:will|am going to|are going to|is going to|plan to|am planning to) (?:move|relocate)(?: back)?',
    (c) => (c.tokens[c.at]?.norm === 'to' ? emitPlaces({ ...c, at: c.at + 1 }, 'plans_to_move_to') : false),
  ),
  frame(
    ANY,
    '(?:went|traveled|travelled|flew|drove|have been|has been|have traveled|have travelled|have gone)(?: back)?',
    (c) => (c.tokens[c.at]?.norm === 'to' ? emitPlaces({ ...c, at: c.at + 1 }, 'visited', true) : false),
  ),
  frame(ANY, 'visited|have visited|has visited', (c) => emitPlaces(c, 'visited', true)),
  frame(ANY, '(?:got|came|flew|returned|am|is|are)(?: just)? back', (c) =>
    c.tokens[c.at]?.norm === 'from' ? emitPlaces({ ...c, at: c.at + 1 }, 'visited') : false,
  ),
];

/** Age and name, occupation, and being good at something. */
export const IDENTITY_FRAMES: Frame[] = [
  frame(PERSON, 'am|is|just turned|turned|have just turned', (c) => emitAge(c, c.at)),
  frame(SELF, 'go by', (c) => {
    const p = parsePhrases(c.tokens, c.at, { max: 3, infinitive: false }).phrases[0];
    if (p === undefined || !isName(p)) return false;
    c.out.triple(c.subject, 'has_name', titleCase(p.text), { objectType: 'person' });
    return true;
  }),
  frame(SELF, 'am', (c) => {
    // "I'm Ana", "I'm Ana, a nurse from Porto", "I am Brazilian".
    const first = c.tokens[c.at];
    if (first === undefined) return false;
    if ((first.tags.has('Demonym') || DEMONYMS.has(first.norm)) && first.cap) {
      const after = c.tokens[c.at + 1];
      if (after?.norm === 'citizen' || endsAt(c.tokens, c.at + 1)) {
        c.out.triple(c.subject, 'has_nationality', first.text, { objectType: 'nationality' });
        return true;
      }
      return false;
    }
    const { phrases, end } = parsePhrases(c.tokens, c.at, { max: 3, infinitive: false });
    const p = phrases[0];
    if (p === undefined || (c.tokens[c.at]?.norm ?? '') !== (p.tokens[0]?.norm ?? '') || !isName(p, true))
      return false;
    if (!endsAt(c.tokens, end) && !['from', 'here'].includes(c.tokens[end]?.norm ?? '')) return false;
    c.out.triple(c.subject, 'has_name', p.text, { objectType: 'person' });
    // Apposition: "I'm Ana, a nurse from Porto", "I'm Tom, 28, software dev from Chicago".
    let i = end;
    for (let round = 0; round < 3; round++) {
      if (c.tokens[i]?.punct) i++;
      const age = parseNumber(c.tokens, i);
      if (age !== null && c.tokens[age.end] !== undefined && !c.tokens[age.end]?.punct) break;
      if (age !== null) {
        emitAge(c, i);
        i = age.end;
      } else if (c.tokens[i]?.norm === 'from') {
        occupationTail(c, i, false);
        break;
      } else {
        const job = occupation(c.tokens, i);
        if (job === null) break;
        emitOccupation(c, i);
        break;
      }
    }
    return true;
  }),
  frame(PERSON, 'am|is', (c) => {
    // "I'm a nurse", "I'm a software engineer at Spotify", "I'm a student at UCLA".
    if (!['a', 'an'].includes(c.tokens[c.at]?.norm ?? '')) return false;
    return emitOccupation(c, c.at);
  }),
  frame(PERSON, 'have been|has been', (c) => {
    // "I've been a pharmacist for 12 years": still one (without the duration, maybe not any more).
    if (!['a', 'an'].includes(c.tokens[c.at]?.norm ?? '')) return false;
    const found = occupation(c.tokens, c.at);
    if (found === null || !hasDuration(c.tokens, found.end)) return false;
    return emitOccupation(c, c.at);
  }),
  frame(
    PERSON,
    'am (?:a|an)(?: (?:pretty|really|very|quite|fairly|super|reasonably))? (?:good|great|decent|strong|excellent|amazing|talented|competent|confident|skilled|fast)',
    (c) => {
      // "I'm a pretty decent swimmer", "I'm a good chess player".
      const next = c.tokens[c.at];
      if (next === undefined) return false;
      const agent = SKILL_AGENTS.get(next.norm);
      if (agent !== undefined && endsAt(c.tokens, c.at + 1)) {
        c.out.triple(c.subject, 'good_at', agent, { objectType: 'activity' });
        return true;
      }
      if (c.tokens[c.at + 1]?.norm === 'player' && endsAt(c.tokens, c.at + 2) && !next.tags.has('Pronoun')) {
        c.out.triple(c.subject, 'good_at', next.text, { objectType: SPORTS.has(next.norm) ? 'sport' : null });
        return true;
      }
      return false;
    },
  ),
];
