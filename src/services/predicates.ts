/**
 * The normalized predicate vocabulary shared by every extractor (local and LLM) and by the triple
 * store. A predicate is *functional* when a subject has one current value for it: a new value
 * supersedes the old one (the store closes the old triple's validity). Everything else accumulates.
 *
 * Functional is only claimed where a second value almost always means "changed" or "corrected";
 * where two values can both be true (two languages, two friends, a mother and a stepmother) the
 * predicate is not functional, because wrongly superseding a true fact loses it, while wrongly
 * keeping two values only leaves an extra one for recall to rank.
 */

import type { FactCategory } from '../db/enums.ts';

export interface PredicateDefinition {
  name: string;
  description: string;
  /** One current value per subject: a new value supersedes the previous one. */
  functional: boolean;
  /** The fact category extractors file statements with this predicate under. */
  category: FactCategory;
  /** What the object usually is: place, organization, person, ... (informational). */
  objectType?: string;
}

function predicate(
  name: string,
  functional: boolean,
  category: FactCategory,
  description: string,
  objectType?: string,
): PredicateDefinition {
  return objectType === undefined
    ? { name, description, functional, category }
    : { name, description, functional, category, objectType };
}

export const PREDICATES: readonly PredicateDefinition[] = [
  // Identity and personal attributes.
  predicate('has_name', true, 'ATTRIBUTE', 'The name the subject goes by.', 'person'),
  predicate('age', true, 'ATTRIBUTE', 'Age in years.', 'number'),
  predicate('has_birthday', true, 'ATTRIBUTE', 'Date of birth or birthday.', 'date'),
  predicate(
    'born_in',
    true,
    'ATTRIBUTE',
    'Place of birth (never changes: a new value is a correction).',
    'place',
  ),
  predicate('born_in_year', true, 'ATTRIBUTE', 'Year of birth.', 'date'),
  // "From" is one claim about origin; a later different one is a correction. Granularity clashes
  // (Brazil, then São Paulo) also supersede: accepted, the newer statement is the more specific.
  predicate('is_from', true, 'ATTRIBUTE', 'Where the subject comes from or grew up.', 'place'),
  // Dual citizenship is common: not functional.
  predicate('has_nationality', false, 'ATTRIBUTE', 'Nationality (demonym).', 'nationality'),
  predicate('has_diet', true, 'ATTRIBUTE', 'Diet followed: vegetarian, vegan, ...', 'diet'),
  predicate('allergic_to', false, 'ATTRIBUTE', 'Allergy.', 'allergen'),

  // Where the subject lives and has been.
  predicate('lives_in', true, 'FACT', 'Current home (city, region or country).', 'place'),
  predicate('lived_in', false, 'FACT', 'A former home.', 'place'),
  predicate('plans_to_move_to', false, 'FACT', 'A planned move.', 'place'),
  predicate('plans_to_visit', false, 'FACT', 'A planned trip.', 'place'),
  predicate('visited', false, 'FACT', 'A place visited in the past.', 'place'),

  // Work and study. One employer and one job title at a time is the common case; a second job
  // stated later usually replaces the first in conversation ("I now work at ...").
  predicate('works_at', true, 'FACT', 'Current employer or workplace.', 'organization'),
  predicate('works_as', true, 'FACT', 'Current occupation or job title.', 'occupation'),
  predicate('works_in', false, 'FACT', 'Field, industry or city of work.'),
  predicate('worked_at', false, 'FACT', 'A former employer.', 'organization'),
  predicate('studies_at', true, 'FACT', 'Current school or university.', 'organization'),
  predicate('studies', false, 'FACT', 'Subject of study.', 'field'),
  predicate('studied_at', false, 'FACT', 'A school or university attended in the past.', 'organization'),
  predicate('owns', false, 'FACT', 'Something the subject owns (a business, a car).'),

  // Preferences.
  predicate('likes', false, 'PREFERENCE', 'Likes or enjoys.'),
  predicate('loves', false, 'PREFERENCE', 'Loves, adores, is passionate about.'),
  predicate('prefers', false, 'PREFERENCE', 'Prefers (over an alternative).'),
  predicate('dislikes', false, 'PREFERENCE', 'Dislikes, does not like.'),
  predicate('hates', false, 'PREFERENCE', 'Hates, cannot stand.'),
  // favorite_<thing> (favorite_color, favorite_food, ...) is an open family: see isFunctionalPredicate.
  predicate('favorite_color', true, 'PREFERENCE', 'Favorite color (favorite_<thing> is an open family).'),
  predicate('favorite_food', true, 'PREFERENCE', 'Favorite food.'),

  // Skills.
  predicate('speaks', false, 'SKILL', 'A language the subject speaks.', 'language'),
  predicate('plays', false, 'SKILL', 'An instrument, sport or game the subject plays.'),
  predicate('good_at', false, 'SKILL', 'Something the subject is good at.'),
  predicate('has_skill', false, 'SKILL', 'Something the subject can do.', 'skill'),
  predicate('learning', false, 'SKILL', 'Something the subject is learning.'),

  // Relationships. Spouse and partner are functional (one at a time; a new one replaces the old).
  // Parents are not: step-parents and in-laws are also called mom and dad.
  predicate('married_to', true, 'RELATIONSHIP', 'Spouse.', 'person'),
  predicate('has_partner', true, 'RELATIONSHIP', 'Boyfriend, girlfriend, partner or fiancé(e).', 'person'),
  predicate('has_mother', false, 'RELATIONSHIP', 'Mother.', 'person'),
  predicate('has_father', false, 'RELATIONSHIP', 'Father.', 'person'),
  predicate('has_sister', false, 'RELATIONSHIP', 'Sister.', 'person'),
  predicate('has_brother', false, 'RELATIONSHIP', 'Brother.', 'person'),
  predicate('has_sibling', false, 'RELATIONSHIP', 'Sibling.', 'person'),
  predicate('has_son', false, 'RELATIONSHIP', 'Son.', 'person'),
  predicate('has_daughter', false, 'RELATIONSHIP', 'Daughter.', 'person'),
  predicate('has_child', false, 'RELATIONSHIP', 'Child.', 'person'),
  predicate('has_grandmother', false, 'RELATIONSHIP', 'Grandmother.', 'person'),
  predicate('has_grandfather', false, 'RELATIONSHIP', 'Grandfather.', 'person'),
  predicate('has_grandchild', false, 'RELATIONSHIP', 'Grandchild.', 'person'),
  predicate('has_aunt', false, 'RELATIONSHIP', 'Aunt.', 'person'),
  predicate('has_uncle', false, 'RELATIONSHIP', 'Uncle.', 'person'),
  predicate('has_cousin', false, 'RELATIONSHIP', 'Cousin.', 'person'),
  predicate('has_niece', false, 'RELATIONSHIP', 'Niece.', 'person'),
  predicate('has_nephew', false, 'RELATIONSHIP', 'Nephew.', 'person'),
  predicate('has_friend', false, 'RELATIONSHIP', 'Friend.', 'person'),
  predicate('has_colleague', false, 'RELATIONSHIP', 'Colleague or coworker.', 'person'),
  predicate('has_boss', false, 'RELATIONSHIP', 'Boss or manager.', 'person'),
  predicate('has_roommate', false, 'RELATIONSHIP', 'Roommate or flatmate.', 'person'),
  predicate('has_pet', false, 'RELATIONSHIP', 'A pet, by name.', 'animal'),
  predicate('number_of_children', true, 'RELATIONSHIP', 'How many children the subject has.', 'number'),
  predicate('has_anniversary', true, 'RELATIONSHIP', 'Wedding or relationship anniversary.', 'date'),
];

const BY_NAME = new Map(PREDICATES.map((definition) => [definition.name, definition]));

/**
 * Free-text spellings of vocabulary predicates that snake_casing alone would not reach: verb
 * forms and synonyms LLMs and people use ("lives in", "enjoys", "is married to", "employer").
 */
const ALIASES: Record<string, string> = {
  name: 'has_name',
  named: 'has_name',
  is_named: 'has_name',
  is_called: 'has_name',
  called: 'has_name',
  live_in: 'lives_in',
  living_in: 'lives_in',
  resides_in: 'lives_in',
  reside_in: 'lives_in',
  based_in: 'lives_in',
  is_based_in: 'lives_in',
  moved_to: 'lives_in',
  used_to_live_in: 'lived_in',
  from: 'is_from',
  comes_from: 'is_from',
  come_from: 'is_from',
  grew_up_in: 'is_from',
  hometown: 'is_from',
  was_born_in: 'born_in',
  birthplace: 'born_in',
  birthday: 'has_birthday',
  born_on: 'has_birthday',
  was_born_on: 'has_birthday',
  date_of_birth: 'has_birthday',
  nationality: 'has_nationality',
  is_allergic_to: 'allergic_to',
  diet: 'has_diet',
  follows_diet: 'has_diet',
  work_at: 'works_at',
  works_for: 'works_at',
  work_for: 'works_at',
  employed_by: 'works_at',
  is_employed_by: 'works_at',
  employer: 'works_at',
  work_as: 'works_as',
  occupation: 'works_as',
  job: 'works_as',
  job_title: 'works_as',
  profession: 'works_as',
  work_in: 'works_in',
  used_to_work_at: 'worked_at',
  study_at: 'studies_at',
  attends: 'studies_at',
  study: 'studies',
  studying: 'studies',
  graduated_from: 'studied_at',
  like: 'likes',
  enjoys: 'likes',
  enjoy: 'likes',
  love: 'loves',
  adores: 'loves',
  prefer: 'prefers',
  dislike: 'dislikes',
  does_not_like: 'dislikes',
  doesnt_like: 'dislikes',
  hate: 'hates',
  cannot_stand: 'hates',
  cant_stand: 'hates',
  speak: 'speaks',
  speaks_language: 'speaks',
  play: 'plays',
  is_good_at: 'good_at',
  skill: 'has_skill',
  can: 'has_skill',
  is_learning: 'learning',
  learns: 'learning',
  spouse: 'married_to',
  is_married_to: 'married_to',
  husband: 'married_to',
  wife: 'married_to',
  partner: 'has_partner',
  dating: 'has_partner',
  is_dating: 'has_partner',
  mother: 'has_mother',
  father: 'has_father',
  sister: 'has_sister',
  brother: 'has_brother',
  son: 'has_son',
  daughter: 'has_daughter',
  child: 'has_child',
  friend: 'has_friend',
  pet: 'has_pet',
  own: 'owns',
  visiting: 'plans_to_visit',
  going_to: 'plans_to_visit',
  traveling_to: 'plans_to_visit',
  travelling_to: 'plans_to_visit',
  has_visited: 'visited',
  been_to: 'visited',
  moving_to: 'plans_to_move_to',
  favourite_color: 'favorite_color',
  favourite_colour: 'favorite_color',
  favorite_colour: 'favorite_color',
};

/** snake_case of free text: "LivesIn" → lives_in, "live-in" → live_in, "Lives in" → lives_in. */
function snakeCase(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/['’]/g, '')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * Maps free text to a vocabulary predicate: "lives in", "LivesIn", "live-in" → lives_in;
 * "favourite food" → favorite_food; an unknown phrase → its snake_case ("plays_for").
 */
export function normalizePredicate(text: string): string {
  let key = snakeCase(text);
  if (key === '') return '';
  // British spelling of the favorite_<thing> family.
  key = key.replace(/^favourite_/, 'favorite_').replace(/_colour$/, '_color');
  if (BY_NAME.has(key)) return key;
  const alias = ALIASES[key];
  if (alias !== undefined) return alias;
  // "is_from", "has_sister" are in the vocabulary; "is_living_in", "does_like" are their verbs
  // with an auxiliary in front.
  const bare = key.replace(/^(is|are|am|was|does|do|has|have)_/, '');
  if (bare !== key) {
    if (BY_NAME.has(bare)) return bare;
    const bareAlias = ALIASES[bare];
    if (bareAlias !== undefined) return bareAlias;
    if (BY_NAME.has(`has_${bare}`)) return `has_${bare}`;
  }
  // First-person verb forms: "live in" → "lives_in", "work at" → "works_at".
  const thirdPerson = key.replace(/^([a-z]+?)(_|$)/, (_, verb: string, rest: string) => {
    const inflected = /(s|sh|ch|x|z|o)$/.test(verb)
      ? `${verb}es`
      : /[^aeiou]y$/.test(verb)
        ? `${verb.slice(0, -1)}ies`
        : `${verb}s`;
    return `${inflected}${rest}`;
  });
  if (BY_NAME.has(thirdPerson)) return thirdPerson;
  return key;
}

/** The definition of a vocabulary predicate (after normalization), if it is in the vocabulary. */
export function getPredicate(name: string): PredicateDefinition | undefined {
  return BY_NAME.get(normalizePredicate(name));
}

/** Whether a new value of this predicate supersedes the subject's current one. */
export function isFunctionalPredicate(name: string): boolean {
  const normalized = normalizePredicate(name);
  const definition = BY_NAME.get(normalized);
  if (definition !== undefined) return definition.functional;
  // "My favorite X is Y": one favorite per thing at a time.
  return /^favorite_[a-z0-9_]+$/.test(normalized);
}

/** The category a statement with this predicate is filed under (FACT for unknown predicates). */
export function predicateCategory(name: string): FactCategory {
  const normalized = normalizePredicate(name);
  const definition = BY_NAME.get(normalized);
  if (definition !== undefined) return definition.category;
  if (normalized.startsWith('favorite_')) return 'PREFERENCE';
  if (normalized.startsWith('has_')) return 'RELATIONSHIP';
  return 'FACT';
}
