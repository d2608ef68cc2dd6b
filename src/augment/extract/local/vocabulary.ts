/**
 * What the user talks about: occupations, languages, demonyms, instruments, sports, diets,
 * allergens, businesses, homes, number words. Closed on purpose: "I'm a X" is only an occupation,
 * and "I speak X" only a language, when X is one the extractor knows. Data only, so that growing a
 * list is a one-line change that cannot break the grammar.
 */

import { words } from './word-set.ts';

/** Head nouns of occupations ("software *engineer*", "*nurse*"). */
export const OCCUPATIONS = words(`
  accountant actor actress administrator adviser advisor agent analyst anesthesiologist animator
  apprentice archaeologist architect archivist artist assistant astronaut astronomer attorney
  auditor author baker banker barber barista bartender beautician biologist bookkeeper botanist
  bricklayer broker builder butcher buyer cameraman caregiver carer carpenter cartographer
  cartoonist cashier ceo cfo chef chemist chiropractor choreographer cleaner clerk coach columnist
  comedian composer conductor consultant contractor cook coordinator copywriter coo counselor
  counsellor courier cto curator dancer dentist dermatologist designer detective developer
  dietitian dietician diplomat director dispatcher doctor driver economist editor educator
  electrician engineer entrepreneur executive farmer filmmaker firefighter fisherman florist
  founder cofounder co-founder freelancer gardener geologist hairdresser hairstylist handyman
  historian housekeeper hygienist illustrator inspector instructor intern interpreter investor
  janitor jeweler jeweller journalist judge laborer labourer landscaper lawyer lecturer librarian
  lifeguard linguist locksmith machinist manager marketer mathematician mechanic medic midwife
  musician nanny neurologist neuroscientist novelist nurse nutritionist officer optician
  optometrist orthodontist painter paralegal paramedic pastor pediatrician pharmacist
  philosopher photographer physician physicist physio physiotherapist pilot planner plumber
  poet policeman policewoman politician postdoc postman priest principal producer professor
  programmer psychiatrist psychologist psychotherapist publisher rabbi radiologist realtor
  receptionist recruiter reporter researcher salesman salesperson saleswoman scientist
  screenwriter sculptor secretary sheriff singer sociologist soldier solicitor songwriter
  specialist statistician stockbroker strategist student stylist supervisor surgeon surveyor
  tailor teacher technician technologist teller therapist trader trainer translator tutor
  undergrad underwriter veterinarian vet waiter waitress welder worker writer dev
`);

/** Words in front of an occupation that mean it is not the current one. */
export const NOT_CURRENT = words('former retired ex aspiring wannabe future would-be failed trainee-to-be');

export const LANGUAGES = words(`
  afrikaans albanian amharic arabic armenian asl basque belarusian bengali bosnian bulgarian
  burmese cantonese catalan chinese croatian czech danish dutch english esperanto estonian farsi
  filipino finnish french galician georgian german greek gujarati hausa hebrew hindi hungarian
  icelandic igbo indonesian irish italian japanese kannada kazakh khmer korean kurdish lao latin
  latvian lithuanian macedonian malay malayalam maltese mandarin marathi mongolian nepali
  norwegian pashto persian polish portuguese punjabi romanian russian serbian sinhala slovak
  slovenian somali spanish swahili swedish tagalog tamil telugu thai tibetan turkish ukrainian
  urdu uzbek vietnamese welsh yiddish yoruba zulu
`);

/** Demonyms compromise does not tag as #Demonym (it knows "Canadian", not "British"). */
export const DEMONYMS = words(`
  british english irish scottish welsh french dutch german greek italian spanish danish swedish
  norwegian finnish polish czech turkish thai korean japanese chinese vietnamese russian
  ukrainian hungarian romanian filipino swiss austrian belgian portuguese
`);

export const INSTRUMENTS = words(`
  accordion bagpipes banjo bass bassoon cello clarinet drums drum flute guitar harmonica harp
  keyboard keyboards mandolin oboe organ piano saxophone sax synth trombone trumpet tuba ukulele
  uke viola violin
`);

export const SPORTS = words(`
  badminton baseball basketball bowling chess cricket darts football golf handball hockey
  lacrosse padel pickleball poker polo pool rugby snooker soccer softball squash tennis volleyball
`);

/** "play a role", "play it safe", "play games with": not something one plays. */
export const PLAY_IDIOMS = words(
  'game games role part trick tricks joke jokes fair safe dumb along around hard catch',
);

/** "I can X" is a skill only for these verbs: "I can come tomorrow" is not one. */
export const SKILL_VERBS = words(`
  bake climb code cook crochet dance dive draw drive juggle knit paint program ride sail sew sing
  skate ski snowboard surf swim weld
`);

/** Allergens said in the singular before "allergy" and in the plural after "allergic to". */
export const COUNTABLE_ALLERGENS = words(
  'peanut nut egg bee wasp strawberry almond cashew walnut hazelnut kiwi tomato',
);

export const DIETS = words('vegetarian vegan pescatarian pescetarian keto paleo');

export const NUMBER_WORDS = new Map<string, number>([
  ...`one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
  seventeen eighteen nineteen twenty`
    .split(/\s+/)
    .map((word, i): [string, number] => [word, i + 1]),
  ...'thirty forty fifty sixty seventy eighty ninety'
    .split(' ')
    .map((word, i): [string, number] => [word, 30 + 10 * i]),
]);

/** Phrases with "and" inside that are one thing: "rock and roll" is not rock + roll. */
export const AND_COMPOUNDS = new Set([
  'rock and roll',
  'mac and cheese',
  'fish and chips',
  'salt and pepper',
  'drum and bass',
  'arts and crafts',
  'dungeons and dragons',
  'bread and butter',
  'sweet and sour',
  'hide and seek',
  'rhythm and blues',
  'trial and error',
  'black and white',
  'pros and cons',
]);

export const BUSINESSES = words(`
  business bakery shop store restaurant cafe café company startup firm salon clinic practice bar
  pub agency studio farm hotel gym
`);

export const GENERIC_WORKPLACES = words(
  'company firm business organization organisation agency employer place job',
);

/** Nouns for people (besides relatives) that "I love my ..." is about, not a preference. */
export const PEOPLE = words(`
  parents family friends team neighbors neighbours colleagues coworkers students clients patients
  kids children life self body
`);

/** Homes: "I live in a small *flat* in Leeds". */
export const DWELLINGS = words(
  'apartment flat house home place studio town village city suburb neighborhood neighbourhood area condo cottage',
);

/** Work places after "work at": a named organization or a common noun ("a hospital"). */
export const NOT_WORKPLACES = words('home night nights weekends moment living myself fun free times');

/** "a good *swimmer*" is good at swimming. */
export const SKILL_AGENTS = new Map<string, string>(
  `swimmer:swimming cook:cooking dancer:dancing singer:singing runner:running driver:driving
  writer:writing skier:skiing baker:baking climber:climbing cyclist:cycling surfer:surfing
  skater:skating painter:painting programmer:programming coder:coding negotiator:negotiating
  listener:listening speaker:public_speaking`
    .split(/\s+/)
    .map((pair): [string, string] => {
      const [agent = '', activity = ''] = pair.split(':');
      return [agent, activity.replace('_', ' ')];
    }),
);
