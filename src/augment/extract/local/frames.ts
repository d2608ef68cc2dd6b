/**
 * All verb frames in the order they are tried, and running them on a clause: the first frame whose
 * pattern matches and that finds something wins. The order matters ("do not like" before "like",
 * the age, name and occupation frames on "am"/"is" last), so it is spelled out here, in one list.
 */

import type { Frame, FrameContext } from './frame.ts';
import { HOME_FRAMES, WORK_FRAMES } from './frames-home-and-work.ts';
import { PREFERENCE_FRAMES, SKILL_FRAMES } from './frames-likes-and-skills.ts';
import { IDENTITY_FRAMES, PLAN_FRAMES, RELATIONSHIP_FRAMES } from './frames-people-and-plans.ts';
import { AUXILIARIES, MID_ADVERBS } from './grammar-words.ts';
import type { Output, Subject } from './output.ts';
import { type Token, tokenAt } from './tokens.ts';

const FRAMES: Frame[] = [
  ...HOME_FRAMES,
  ...WORK_FRAMES,
  ...PREFERENCE_FRAMES,
  ...SKILL_FRAMES,
  ...RELATIONSHIP_FRAMES,
  ...PLAN_FRAMES,
  ...IDENTITY_FRAMES,
];

export function runFrames(tokens: readonly Token[], at: number, subject: Subject, out: Output): boolean {
  const rest = tokens
    .slice(at)
    .filter(
      (token, i, all) =>
        !(i > 0 && i < 5 && MID_ADVERBS.has(token.norm) && AUXILIARIES.has(all[i - 1]?.norm ?? '')),
    );
  const text = rest.map((token) => token.norm).join(' ');
  for (const candidate of FRAMES) {
    if (!candidate.subjects.includes(subject.kind)) continue;
    const match = candidate.pattern.exec(text);
    if (match === null) continue;
    const context: FrameContext = {
      tokens: rest,
      at: tokenAt(rest, match[0].length + 1),
      said: match[0],
      subject,
      out,
    };
    if (candidate.run(context)) return true;
  }
  return false;
}
