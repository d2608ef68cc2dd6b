/**
 * bench:locomo's flags: their usage text, the parsed {@link LocomoOptions} and their defaults.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEFAULT_DATA = path.resolve(REPO, '../shared/data/locomo');
/** Engram's MAX_PAGE_SIZE default: the most messages one `messages(last:)` page returns. */
export const MAX_PAGE = 100;

const USAGE = `Usage: npm run bench:locomo -- [flags]

  --data <path>          LoCoMo folder or JSON file (default ../shared/data/locomo from the repo)
  --model <use|none>     embedding model: use = Universal Sentence Encoder lite (512-d, from npm),
                         none = no model, recall runs lexically (default use)
  --facts <turns|extracted>
                         turns = every turn remembered as a fact sourced from its message;
                         extracted = facts the local extractor finds in the recorded turns,
                         through background augmentation (default turns)
  --sources <facts|messages|both>
                         what recall searches: facts = the facts above (messages not indexed,
                         MESSAGE_INDEX=off); messages = the recorded turns as the index holds them
                         (MESSAGE_INDEX=context), no facts remembered (default); both = facts
                         and messages ranked together
  --sweep                after the run, ask every question again under each fusion and weight
                         variant of bench/lib/locomo-sweep.ts and print recall@10 per category
  --conversations <n>    only the first n conversations (default all)
  --first <n>            hits asked of recall per question, 1..${MAX_PAGE} (default 10; recall@k needs k <= n)
  --stability <n>        also ask every question with first n (default ${MAX_PAGE}; 0 = skip) and count
                         the questions whose top --first hits (ids, scores) differ from the first ask
  -h, --help             print the flags
`;

/** Everything `npm run bench:locomo -- <flags>` can change; see the usage text for the defaults. */
export interface LocomoOptions {
  data: string;
  model: 'use' | 'none';
  facts: 'turns' | 'extracted';
  sources: 'facts' | 'messages' | 'both';
  sweep: boolean;
  conversations: number | null;
  first: number;
  /** 0: no stability check. */
  stability: number;
}

/** Parses the flags; prints the usage and exits on -h or on a bad flag. */
export function parseLocomoOptions(argv: string[]): LocomoOptions {
  const s = { type: 'string' } as const;
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      data: s,
      model: s,
      facts: s,
      sources: s,
      sweep: { type: 'boolean', default: false },
      conversations: s,
      first: s,
      stability: s,
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const fail = (message: string): never => {
    process.stderr.write(`${message}\n\n${USAGE}`);
    process.exit(2);
  };
  const int = (name: string, raw: string | undefined, fallback: number, max: number): number => {
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 1 || value > max)
      fail(`--${name} must be an integer from 1 to ${max}, got ${raw}`);
    return value;
  };
  const model = values.model ?? 'use';
  if (model !== 'use' && model !== 'none') fail(`--model must be use or none, got ${model}`);
  const facts = values.facts ?? 'turns';
  if (facts !== 'turns' && facts !== 'extracted') fail(`--facts must be turns or extracted, got ${facts}`);
  const sources = values.sources ?? 'messages';
  if (sources !== 'facts' && sources !== 'messages' && sources !== 'both')
    fail(`--sources must be facts, messages or both, got ${sources}`);
  return {
    sources: sources as LocomoOptions['sources'],
    sweep: values.sweep ?? false,
    data: values.data === undefined ? DEFAULT_DATA : path.resolve(values.data),
    model: model as LocomoOptions['model'],
    facts: facts as LocomoOptions['facts'],
    conversations:
      values.conversations === undefined ? null : int('conversations', values.conversations, 0, 1_000_000),
    first: int('first', values.first, 10, MAX_PAGE),
    stability: values.stability === '0' ? 0 : int('stability', values.stability, MAX_PAGE, MAX_PAGE),
  };
}
