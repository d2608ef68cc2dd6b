/**
 * Grammar words of the local extractor: discourse words, adverbs, prepositions, pronouns,
 * conjunctions, question words and time words. They decide where clauses split, where a subject
 * starts and where a noun phrase ends; none of them is ever the object of a triple. Kept apart
 * from the code that reads them so that tuning a list never touches the parser.
 */

import { words } from './word-set.ts';

/** Discourse words and greetings skipped at the start of a clause ("Well, honestly, I ..."). */
export const DISCOURSE = words(`
  hi hello hey hiya yo well so oh ah um uh hmm ok okay yeah yes yep no nope lol haha hehe lmao
  actually honestly btw anyway anyways also and but plus basically fyi ps then now currently
  recently lately nowadays today tbh personally sadly luckily fortunately unfortunately finally
  there guys all again still just originally otherwise funny enough
`);

/** Time words that may precede the subject ("Last year I moved to ..."). */
export const LEADING_TIME = words(`
  in on at since last this next ago a few couple of back the year years month months week weeks
  day days summer winter spring fall autumn two three four five six
`);

/** Adverbs allowed between the subject and the verb frame ("I *really* like", "I *just* moved"). */
export const ADVERBS = `(?:(?:really|also|absolutely|totally|just|still|currently|now|actually|honestly|definitely|kind of|kinda|sort of|sorta|truly|genuinely|seriously|mostly|especially|recently|already|always|literally|simply|finally|originally|do|does|even|personally|mainly|both|certainly|deeply|madly|generally|usually|normally|pretty much|officially|happily|proudly|so|too) )*`;

/** Words that end a noun phrase. */
export const NP_STOP = words(`
  and or but because cause cuz since so than that which who whom whose when while where if unless
  although though as like except even too either anymore anyway again already yet still then now
  currently today tonight tomorrow yesterday lately recently soon right really very pretty quite
  just always usually often sometimes never ever every each daily weekly lol haha lmao tbh
  honestly actually tho etc more less most better best instead also nowadays these those
  whenever though whereas until till unlike especially mostly probably maybe online offline
  together alone outdoors indoors professionally competitively regularly casually downtown nearby
  abroad overseas locally upstairs downstairs btw fyi imo imho idk xd pls thx thanks please
`);

/** Prepositions that start a "when" ("reading *before* bed"), never part of an activity. */
export const TEMPORAL_PREPOSITIONS = words('of before after during until till since');

export const PREPOSITIONS = words(`
  in on at for with to from by about during after before until since into onto over under near
  around without across through between among per via against behind beside besides toward
  towards upon within outside inside up down off out
`);

/** Verbs whose "to <verb>" after like/love/hate is a figure of speech, not an activity. */
export const NOT_ACTIVITIES = words(`
  think say know believe be have imagine hear admit point mention add note let ask tell remind
  check clarify confirm assume pretend hope suppose see bother interrupt disappoint break
`);

/** Noun-phrase heads that refer to the conversation, not to a preference ("I like that idea"). */
export const CONVERSATIONAL = words(`
  idea ideas suggestion suggestions option options answer answers plan response list one ones
  version result results point explanation question advice approach example way part thing
  things stuff sound look choice story reply message summary recipe draft format tip tips
  lot bit
`);

/** First words that make a noun phrase a pronoun or a reference to something else. */
export const NP_REJECT_START = words(`
  it this that these those them they you your yours him his her hers us our ours me my mine
  myself yourself himself herself itself ourselves themselves their theirs its everything
  anything something nothing everyone anyone someone nobody everybody anybody somebody what
  which who whom how when where why whatever whoever one all either neither none here
  there not no such another other to
`);

export const SUBJECT_WORDS = words(
  'i we he she they it you there this that these those me my our his her their your its everyone everybody people nobody someone',
);
export const WH_WORDS = words('what where when why how who which whats whos whose wheres hows');
export const AUX_WORDS = words(
  'do does did is are am was were can could should would will have has had may might shall',
);
export const QUESTION_FRAGMENTS = words(
  'any anyone anything right thoughts ideas tips recommendations suggestions correct ok okay',
);

/** First-person verbs that can start a clause without "I" ("Love hiking!", "and work in Lisbon"). */
export const ELIDED_VERBS = words(`
  am live lived moved relocated work worked love loved like enjoy hate prefer speak play study
  studied have grew got just also really currently recently still went visited graduated
  can cannot used was speaking adore dislike luv based been allergic
`);

/** Words that split a sentence into clauses when a clause follows them. */
export const CLAUSE_SPLITTERS = words(`
  and but or so because cause cuz since although though while whereas plus then if unless
  whether when whenever once until before after who which
`);

/** A clause led by one of these is hypothetical or not yet true. */
export const HYPOTHETICAL = words(
  'if unless whether suppose supposing imagine once when whenever until before',
);

export const MONTHS = words(`
  january february march april may june july august september october november december jan feb
  mar apr jun jul aug sep sept oct nov dec
`);

/** Nouns that say when, not what ("swimming in the *mornings*"). */
export const TIME_NOUNS = words(`
  morning mornings evening evenings afternoon afternoons night nights weekend weekends weekday
  weekdays summer summers winter winters spring fall autumn holidays daytime
`);

export const CONNECTORS = words(
  'of de da do dos das del della la le los las van von der den the and upon on',
);

/** Words of a time expression besides dates ("*next* month", "*on* Friday", "*tomorrow*"). */
export const TIME_GLUE = words('next last this on in the for at');
export const TIME_ADVERBS = words('tomorrow tonight soon today');

/** Adverbs dropped after an auxiliary so frames need not list them ("I'm *currently* a student"). */
export const MID_ADVERBS = words(`
  currently now also still actually really just already finally recently definitely totally
  absolutely truly honestly seriously literally mostly officially proudly happily
`);
export const AUXILIARIES = words('am is are was were have has had been do does did will would can');
