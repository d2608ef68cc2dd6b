/**
 * Relation nouns ("my *sister* Anna", "two *kids*", "a golden *retriever*") and the predicate each
 * maps to, with the plurals and modifiers allowed around them. Apart from the other word lists
 * because it is a table (noun → predicate and kind), read by the relation parser and by the
 * preference frames (to tell "I love my wife" from "I love my job").
 */

import { words } from './word-set.ts';

export interface Relation {
  predicate: string;
  kind: 'person' | 'animal';
}

/** Relation nouns ("my *sister* Anna") and the predicate each maps to. */
export const RELATIONS = new Map<string, Relation>();
for (const [predicate, kind, list] of [
  ['has_sister', 'person', 'sister sis'],
  ['has_brother', 'person', 'brother bro'],
  ['has_sibling', 'person', 'sibling'],
  ['has_mother', 'person', 'mom mum mother mommy mama'],
  ['has_father', 'person', 'dad father daddy papa'],
  ['has_son', 'person', 'son'],
  ['has_daughter', 'person', 'daughter'],
  ['has_child', 'person', 'kid child baby'],
  ['married_to', 'person', 'husband hubby wife wifey spouse'],
  ['has_partner', 'person', 'boyfriend girlfriend partner fiance fiancé fiancee fiancée bf gf'],
  ['has_friend', 'person', 'friend bestie buddy pal'],
  ['has_grandmother', 'person', 'grandmother grandma granny nana gran'],
  ['has_grandfather', 'person', 'grandfather grandpa granddad grandad'],
  ['has_grandchild', 'person', 'grandson granddaughter grandchild grandkid'],
  ['has_aunt', 'person', 'aunt auntie'],
  ['has_uncle', 'person', 'uncle'],
  ['has_cousin', 'person', 'cousin'],
  ['has_niece', 'person', 'niece'],
  ['has_nephew', 'person', 'nephew'],
  ['has_colleague', 'person', 'colleague coworker co-worker workmate'],
  ['has_boss', 'person', 'boss'],
  ['has_roommate', 'person', 'roommate flatmate housemate'],
  [
    'has_pet',
    'animal',
    `dog cat puppy kitten pup pet hamster parrot rabbit bunny horse turtle tortoise retriever
    labrador poodle terrier beagle bulldog husky corgi dachshund chihuahua pug collie spaniel`,
  ],
] as const) {
  for (const word of words(list)) RELATIONS.set(word, { predicate, kind });
}

/** Plural relation nouns ("two *sisters*", "three *kids*"). */
export const RELATION_PLURALS = new Map<string, string>([
  ['sisters', 'sister'],
  ['brothers', 'brother'],
  ['siblings', 'sibling'],
  ['sons', 'son'],
  ['daughters', 'daughter'],
  ['kids', 'kid'],
  ['children', 'child'],
  ['friends', 'friend'],
  ['dogs', 'dog'],
  ['cats', 'cat'],
  ['cousins', 'cousin'],
  ['grandkids', 'grandkid'],
  ['grandchildren', 'grandchild'],
]);

/** Adjectives allowed between "my" and the relation noun ("my *younger* sister Anna"). */
export const RELATION_MODIFIERS = words(`
  best older younger little big baby twin oldest youngest eldest new dear lovely golden black white
  german sweet amazing wonderful
`);

/** Modifiers that mean the relation is over or not the user's own: nothing current to remember. */
export const RELATION_ENDED = words('late ex former dead deceased');
