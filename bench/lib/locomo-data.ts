/**
 * Reads the LoCoMo benchmark file (Maharana et al., 2024) into the shape bench/locomo.ts needs:
 * per conversation its sessions of turns, and its questions with their evidence dia_ids checked
 * against the turns that exist. The file is research data (CC BY-NC 4.0) and is read from where it
 * lies, never copied into the project.
 */
import fs from 'node:fs';
import path from 'node:path';

/** One dialogue turn: `D<session>:<turn>`, who said it, and what (a shared photo's caption appended). */
export interface LocomoTurn {
  diaId: string;
  speaker: string;
  /** What the memory stores and the baseline indexes: `<speaker>: <text>[ [shares a photo of <caption>]]`. */
  content: string;
}

export interface LocomoSession {
  /** N of `session_N`. */
  index: number;
  /** `session_N_date_time` as written in the data ("1:56 pm on 8 May, 2023"), when present. */
  dateTime: string | null;
  turns: LocomoTurn[];
}

export interface LocomoQuestion {
  question: string;
  category: number;
  /** Evidence dia_ids that name a turn of this conversation, deduplicated, in the data's order. */
  evidence: string[];
  /** Evidence entries that had to be split or reformatted to name a turn (`'D8:6; D9:17'`). */
  repaired: string[];
  /** Evidence entries that name no turn of this conversation (left out of `evidence`). */
  unknown: string[];
}

export interface LocomoConversation {
  /** `sample_id`, e.g. `conv-26`. */
  id: string;
  speakerA: string;
  speakerB: string;
  sessions: LocomoSession[];
  questions: LocomoQuestion[];
}

/**
 * LoCoMo's category numbers. The paper lists the kinds in another order than the released data
 * numbers them; this is the mapping the data bears out (category 1 averages ~3 evidence turns per
 * question, 4 about one) and that follow-up evaluations use.
 */
export const CATEGORY_NAMES: Record<number, string> = {
  1: 'multi-hop',
  2: 'temporal',
  3: 'open-domain',
  4: 'single-hop',
  5: 'adversarial',
};

/** The file inside a LoCoMo folder, or the path itself when it names a file. */
export function locomoFile(dataPath: string): string {
  const stat = fs.statSync(dataPath, { throwIfNoEntry: false });
  if (!stat) throw new Error(`no LoCoMo data at ${dataPath} (give its folder or file with --data)`);
  if (!stat.isDirectory()) return dataPath;
  const candidates = fs
    .readdirSync(dataPath)
    .filter((name) => name.endsWith('.json'))
    .sort();
  const [first] = candidates;
  if (!first) throw new Error(`no .json file in ${dataPath}`);
  if (candidates.length > 1) {
    throw new Error(`${dataPath} holds several .json files (${candidates.join(', ')}): name one`);
  }
  return path.join(dataPath, first);
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new Error(`${where}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * The dia_ids one evidence entry names. A few entries in the released data are malformed: two ids
 * in one string (`'D8:6; D9:17'`), or a stray colon (`'D:11:26'`); they are read as what they
 * plainly mean, and the caller reports them. Anything else is returned as is (and will not match
 * a turn).
 */
function evidenceIds(entry: string): string[] {
  return entry
    .split(/[;,\s]+/)
    .filter(Boolean)
    .map((part) => part.replace(/^D:(\d+):(\d+)$/, 'D$1:$2'));
}

function readTurn(raw: unknown, where: string): LocomoTurn {
  if (!isObject(raw)) throw new Error(`${where}: expected a turn object`);
  const speaker = text(raw.speaker, `${where}.speaker`);
  const said = text(raw.text, `${where}.text`).trim();
  // A turn that shares a photo says little on its own ("Look at this!"); the caption is what the
  // other speaker saw, and questions ask about it, so it is part of what was said.
  const caption = typeof raw.blip_caption === 'string' ? raw.blip_caption.trim() : '';
  const content = `${speaker}: ${said}${caption ? ` [shares a photo of ${caption}]` : ''}`;
  return { diaId: text(raw.dia_id, `${where}.dia_id`).trim(), speaker, content };
}

function readConversation(raw: unknown, where: string): LocomoConversation {
  if (!isObject(raw) || !isObject(raw.conversation) || !Array.isArray(raw.qa)) {
    throw new Error(`${where}: expected { sample_id, conversation, qa }`);
  }
  const id = text(raw.sample_id, `${where}.sample_id`);
  const conversation = raw.conversation;
  const sessions: LocomoSession[] = [];
  for (const [key, value] of Object.entries(conversation)) {
    const match = /^session_(\d+)$/.exec(key);
    if (!match) continue;
    if (!Array.isArray(value)) throw new Error(`${id}.${key}: expected a list of turns`);
    const index = Number(match[1]);
    const dateTime = conversation[`${key}_date_time`];
    sessions.push({
      index,
      dateTime: typeof dateTime === 'string' ? dateTime : null,
      turns: value.map((turn, i) => readTurn(turn, `${id}.${key}[${i}]`)),
    });
  }
  sessions.sort((a, b) => a.index - b.index);
  const known = new Set(sessions.flatMap((session) => session.turns.map((turn) => turn.diaId)));

  const questions = raw.qa.map((item, i): LocomoQuestion => {
    const where = `${id}.qa[${i}]`;
    if (!isObject(item) || !Array.isArray(item.evidence))
      throw new Error(`${where}: expected { evidence: [] }`);
    const evidence: string[] = [];
    const repaired: string[] = [];
    const unknown: string[] = [];
    for (const entry of item.evidence) {
      const raw = text(entry, `${where}.evidence`);
      const ids = evidenceIds(raw);
      if (ids.length !== 1 || ids[0] !== raw) repaired.push(raw);
      for (const diaId of ids) {
        if (!known.has(diaId)) unknown.push(diaId);
        else if (!evidence.includes(diaId)) evidence.push(diaId);
      }
    }
    const category = item.category;
    if (typeof category !== 'number') throw new Error(`${where}.category: expected a number`);
    return {
      question: text(item.question, `${where}.question`).trim(),
      category,
      evidence,
      repaired,
      unknown,
    };
  });

  return {
    id,
    speakerA: text(conversation.speaker_a, `${id}.speaker_a`),
    speakerB: text(conversation.speaker_b, `${id}.speaker_b`),
    sessions,
    questions,
  };
}

/** Reads and checks a LoCoMo JSON file (a list of samples). */
export function readLocomo(file: string): LocomoConversation[] {
  const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!Array.isArray(parsed)) throw new Error(`${file}: expected a JSON list of LoCoMo samples`);
  return parsed.map((sample, i) => readConversation(sample, `${file}[${i}]`));
}
