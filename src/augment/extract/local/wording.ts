/**
 * How a triple is said as a fact ("lives_in Porto" → "Lives in Porto"), and the casing helpers
 * for objects. Pure string functions, apart from the parser, so the wording can change without
 * touching what is extracted.
 */

/** "Nurse" → "nurse" (a capital from the start of a fragment), but "PhD student" stays. */
export function lowerFirst(text: string): string {
  return text.replace(/^\p{Lu}\p{Ll}*(?=\s|$)/u, (word) => word.toLowerCase());
}

export function titleCase(text: string): string {
  return text === text.toLowerCase() ? text.replace(/(^|[\s-])(\p{L})/gu, (m) => m.toUpperCase()) : text;
}

export function article(noun: string): string {
  return /^[aeiou]/i.test(noun) && !/^(uni|eu|one)/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** The third-person verb phrase stating a triple ("lives in Porto"); `detail` adds to it. */
export function describe(predicate: string, object: string, detail: string): string {
  switch (predicate) {
    case 'has_name':
      return `name is ${object}`;
    case 'age':
      return `is ${object} years old`;
    case 'has_birthday':
      return `birthday is ${object}`;
    case 'born_in':
    case 'born_in_year':
      return `was born in ${object}`;
    case 'is_from':
      return `is from ${object}`;
    case 'has_nationality':
    case 'has_diet':
      return `is ${object}`;
    case 'allergic_to':
      return `is allergic to ${object}`;
    case 'lives_in':
      return `lives in ${object}`;
    case 'lived_in':
      return `used to live in ${object}`;
    case 'plans_to_move_to':
      return `plans to move to ${object}${detail}`;
    case 'plans_to_visit':
      return `plans to visit ${object}${detail}`;
    case 'visited':
      return `has visited ${object}${detail}`;
    case 'works_at':
      return `works at ${object}`;
    case 'works_as':
      return `works as ${article(object)}`;
    case 'works_in':
      return `works in ${object}`;
    case 'worked_at':
      return `used to work at ${object}`;
    case 'studies_at':
      return `studies at ${object}`;
    case 'studies':
      return `studies ${object}`;
    case 'studied_at':
      return `studied at ${object}`;
    case 'owns':
      return `owns ${article(object)}`;
    case 'prefers':
      return `prefers ${object}${detail}`;
    case 'good_at':
      return `is good at ${object}`;
    case 'learning':
      return `is learning ${object}`;
    case 'married_to':
      return `is married to ${object}`;
    case 'has_partner':
      return `is in a relationship with ${object}`;
    case 'number_of_children':
      return `has ${object} ${object === '1' ? 'child' : 'children'}`;
    case 'has_anniversary':
      return `anniversary is ${object}`;
    default:
      if (predicate.startsWith('favorite_')) return `${predicate.replace(/_/g, ' ')} is ${object}`;
      if (predicate.startsWith('has_')) return `has ${article(predicate.slice(4))} named ${object}`;
      return `${predicate.replace(/_/g, ' ')} ${object}`;
  }
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
