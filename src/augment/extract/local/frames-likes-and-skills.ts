/**
 * Verb frames for preferences (likes, loves, dislikes, hates, prefers, allergies, diets) and
 * skills (languages spoken, instruments and sports played, "I can", "I'm learning").
 */

import { ANY, type Frame, frame, PERSON } from './frame.ts';
import { emitLanguages, emitThings, objectTypeOf, things } from './frame-objects.ts';
import { NP_REJECT_START, NP_STOP, PREPOSITIONS } from './grammar-words.ts';
import { gerund, parsePhrases, surface } from './phrases.ts';
import { endsAt, isTimeToken, isVerbToken, norms, type Token } from './tokens.ts';
import {
  COUNTABLE_ALLERGENS,
  DIETS,
  INSTRUMENTS,
  LANGUAGES,
  PLAY_IDIOMS,
  SKILL_VERBS,
  SPORTS,
} from './vocabulary.ts';
import { titleCase } from './wording.ts';

/** Preferences. Dislikes and hates come first: "do not like" must never reach "like". */
export const PREFERENCE_FRAMES: Frame[] = [
  frame(
    PERSON,
    'do not like|does not like|do not really like|does not really like|do not particularly like|do not enjoy|does not enjoy|do not really enjoy|do not care for|dislike|dislikes|have never liked|has never liked|never liked|never really liked|am not into|am not really into|is not into|am not (?:a |really a |much of a )?(?:big |huge |great )?fan of|is not (?:a )?(?:big |huge )?fan of',
    (c) => emitThings(c, 'dislikes'),
  ),
  frame(
    PERSON,
    'hate|hates|really hate|despise|despises|loathe|loathes|detest|detests|abhor|can not stand|cannot stand|could not stand|can not bear|cannot bear',
    (c) => emitThings(c, 'hates'),
  ),
  frame(
    PERSON,
    'love|loves|adore|adores|luv|am obsessed with|is obsessed with|am crazy about|is crazy about|am passionate about|is passionate about|am in love with|am mad about',
    (c) => emitThings(c, 'loves'),
  ),
  frame(
    PERSON,
    'like|likes|enjoy|enjoys|dig|am into|is into|am really into|am fond of|is fond of|am (?:a )?(?:(?:big|huge|massive|great|real) )?fan of|is (?:a )?(?:(?:big|huge|massive|great) )?fan of',
    (c) => emitThings(c, 'likes'),
  ),
  frame(PERSON, 'prefer|prefers', (c) => {
    const found = things(c, c.at, false);
    const p = found[0];
    if (p === undefined) return false;
    const end = c.at + p.tokens.length;
    let detail = '';
    const rest = norms(c.tokens, end, 3);
    const over = /^(to|over|rather than|instead of)\b/.exec(rest);
    if (over) {
      const alternative = things(c, end + (over[1]?.split(' ').length ?? 1), false)[0];
      if (alternative) detail = ` over ${alternative.text}`;
    }
    c.out.triple(c.subject, 'prefers', p.text, { objectType: objectTypeOf(p), detail });
    return true;
  }),
  frame(PERSON, 'would rather', (c) => {
    // "I'd rather stay home than go out": a preference only when the alternative is stated.
    if (!c.tokens.slice(c.at).some((token) => token.norm === 'than')) return false;
    const verb = c.tokens[c.at];
    if (verb === undefined || !isVerbToken(verb) || verb.norm === 'not') return false;
    const rest = parsePhrases(c.tokens, c.at + 1, { max: 3, infinitive: false }).phrases[0];
    const text = [gerund(verb.norm), rest?.text ?? ''].join(' ').trim();
    c.out.triple(c.subject, 'prefers', text, { objectType: 'activity' });
    return true;
  }),
  frame(PERSON, 'am (?:a|an)(?: (?:big|huge|massive|great|real|diehard|lifelong))?', (c) => {
    // "I'm a huge Arsenal fan": a capitalized name, then "fan".
    let i = c.at;
    const name: Token[] = [];
    while (c.tokens[i]?.cap && name.length < 4) name.push(c.tokens[i++] as Token);
    if (name.length === 0 || c.tokens[i]?.norm !== 'fan' || !endsAt(c.tokens, i + 1)) return false;
    c.out.triple(c.subject, 'likes', surface(name), { objectType: null });
    return true;
  }),
  frame(PERSON, 'am|is|allergic', (c) => {
    // "I'm allergic to peanuts and shellfish", "Allergic to shellfish btw".
    let i = c.at;
    while (
      [
        'very',
        'severely',
        'extremely',
        'super',
        'deathly',
        'really',
        'highly',
        'mildly',
        'slightly',
      ].includes(c.tokens[i]?.norm ?? '')
    )
      i++;
    if (c.said.endsWith('allergic')) i--;
    if (norms(c.tokens, i, 2) !== 'allergic to') return false;
    return emitThings({ ...c, at: i + 2 }, 'allergic_to', 'allergen');
  }),
  frame(PERSON, 'have got|has got|have|has|got', (c) => {
    // "I have a severe shellfish allergy".
    const { phrases } = parsePhrases(c.tokens, c.at, { max: 4, infinitive: false });
    const p = phrases[0];
    if (p === undefined || p.tokens.length < 2) return false;
    const head = p.tokens[p.tokens.length - 1] as Token;
    if (head.norm !== 'allergy' && head.norm !== 'allergies') return false;
    const allergen = p.tokens[p.tokens.length - 2] as Token;
    if (!allergen.tags.has('Noun')) return false;
    // "a peanut allergy" is an allergy to peanuts (as "allergic to peanuts" says).
    const text = COUNTABLE_ALLERGENS.has(allergen.norm) ? `${allergen.text}s` : allergen.text;
    c.out.triple(c.subject, 'allergic_to', text, { objectType: 'allergen' });
    return true;
  }),
  frame(ANY, 'am|is|are|have been|has been|went|became|turned', (c) => {
    // "I'm vegetarian", "I've been a vegan for ten years", "I went vegan", "We are vegetarians".
    let i = c.at;
    while (
      ['a', 'an', 'strict', 'strictly', 'fully', 'full', 'mostly', 'now'].includes(c.tokens[i]?.norm ?? '')
    )
      i++;
    const said = c.tokens[i];
    const diet = said?.norm.replace(/s$/, '');
    if (said === undefined || diet === undefined || !DIETS.has(diet)) return false;
    const after = c.tokens[i + 1];
    if (!endsAt(c.tokens, i + 1) && !['for', 'since', 'so', 'because'].includes(after?.norm ?? ''))
      return false;
    c.out.triple(c.subject, 'has_diet', diet, { objectType: 'diet' });
    return true;
  }),
];

/** Skills. */
export const SKILL_FRAMES: Frame[] = [
  frame(PERSON, 'speak|speaks|can speak|am fluent in|is fluent in|speak fluently', (c) => {
    if (['to', 'with', 'about', 'up', 'for', 'of', 'on'].includes(c.tokens[c.at]?.norm ?? '')) return false;
    return emitLanguages(c, 'speaks');
  }),
  frame(PERSON, 'am a native|is a native', (c) => {
    const language = c.tokens[c.at];
    if (language === undefined || !LANGUAGES.has(language.norm) || c.tokens[c.at + 1]?.norm !== 'speaker')
      return false;
    c.out.triple(c.subject, 'speaks', titleCase(language.text), { objectType: 'language' });
    return true;
  }),
  frame(
    PERSON,
    'play|plays|can play|have played|has played|have been playing|has been playing|know how to play',
    (c) => {
      const found = things(c, c.at, true).filter(
        (p) => !PLAY_IDIOMS.has(p.tokens[0]?.norm ?? '') && !PLAY_IDIOMS.has(p.tokens.at(-1)?.norm ?? ''),
      );
      for (const p of found) {
        const head = (p.tokens[p.tokens.length - 1] as Token).norm;
        const objectType = INSTRUMENTS.has(head) ? 'instrument' : SPORTS.has(head) ? 'sport' : null;
        c.out.triple(c.subject, 'plays', p.text, { objectType });
      }
      return found.length > 0;
    },
  ),
  frame(
    PERSON,
    '(?:am|is) (?:really |pretty |very |quite |super |fairly |so |extremely |actually )?(?:good|great|decent|skilled|talented|excellent|an expert|amazing|brilliant|awesome|experienced)',
    (c) => {
      const preposition = c.tokens[c.at]?.norm;
      if (preposition !== 'at' && preposition !== 'in' && preposition !== 'with') return false;
      const found = things(c, c.at + 1, false);
      for (const p of found) c.out.triple(c.subject, 'good_at', p.text, { objectType: objectTypeOf(p) });
      return found.length > 0;
    },
  ),
  frame(PERSON, 'can|know how to|am able to|is able to', (c) => {
    const verb = c.tokens[c.at];
    if (verb === undefined || !SKILL_VERBS.has(verb.norm)) return false;
    const next = c.tokens[c.at + 1];
    // "I can drive you", "I can cook dinner tonight", "I can sing for you": offers, not skills.
    if (next !== undefined && (NP_REJECT_START.has(next.norm) || next.tags.has('Pronoun'))) return false;
    const offer = c.tokens
      .slice(c.at + 1, c.at + 8)
      .some(
        (token) =>
          isTimeToken(token) ||
          token.tags.has('Pronoun') ||
          ['later', 'now', 'tonight', 'tomorrow', 'today', 'soon', 'if'].includes(token.norm),
      );
    if (offer) return false;
    let object = gerund(verb.norm);
    let said = verb.norm;
    if (next !== undefined && !next.punct && !next.tags.has('Adverb') && !NP_STOP.has(next.norm)) {
      const rest = PREPOSITIONS.has(next.norm)
        ? parsePhrases(c.tokens, c.at + 2, { max: 3, infinitive: false }).phrases[0]
        : parsePhrases(c.tokens, c.at + 1, { max: 3, infinitive: false }).phrases[0];
      if (rest !== undefined) {
        const joined = PREPOSITIONS.has(next.norm) ? `${next.norm} ${rest.text}` : rest.text;
        object = `${object} ${joined}`;
        said = `${said} ${joined}`;
      }
    }
    c.out.triple(c.subject, 'has_skill', object, { objectType: 'skill', fact: `can ${said}` });
    return true;
  }),
  frame(
    PERSON,
    'am learning|is learning|have been learning|has been learning|started learning|learn',
    (c) => {
      if (/learn$/.test(c.said) && !/\blearning\b/.test(c.said)) return false;
      let at = c.at;
      if (norms(c.tokens, at, 2) === 'how to' && c.tokens[at + 2] && isVerbToken(c.tokens[at + 2] as Token))
        at += 1;
      if (['about', 'a', 'so', 'from', 'with', 'that', 'more'].includes(c.tokens[at]?.norm ?? ''))
        return false;
      const found = things(c, at, true);
      for (const p of found) {
        const language = p.tokens.length === 1 && LANGUAGES.has((p.tokens[0] as Token).norm);
        c.out.triple(c.subject, 'learning', language ? titleCase(p.text) : p.text, {
          objectType: language ? 'language' : objectTypeOf(p),
        });
      }
      return found.length > 0;
    },
  ),
];
