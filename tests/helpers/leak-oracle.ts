/**
 * The oracle of the entity-isolation leak test: does an answer carry anything of the victim's?
 * Its data may hold none of the victim's content markers, external ids, global ids or session
 * uuids; its error messages may echo an id the caller sent, so they are held only to the content
 * markers.
 */

/** What gives the victim's data away. */
export interface VictimNeedles {
  /** Random markers inside every string the victim wrote (found in any case, inside longer text). */
  contentMarkers: string[];
  /** Markers inside the victim's identifiers (external ids, process id, session uuids). */
  idMarkers: string[];
  /** Values that are the victim's when a string equals them exactly (global ids, uuids, external ids). */
  exact: string[];
}

export interface Finding {
  /** Where in the answer: `data.node.conversation.summary`, `errors[0].message`. */
  at: string;
  value: string;
  /** What it matched. */
  needle: string;
}

function matchString(value: string, exact: Set<string>, markers: string[]): string | null {
  if (exact.has(value)) return value;
  const lower = value.toLowerCase();
  return markers.find((marker) => lower.includes(marker.toLowerCase())) ?? null;
}

/** Every string inside a JSON value that matches, with its path. */
function scan(value: unknown, at: string, exact: Set<string>, markers: string[], found: Finding[]): void {
  if (typeof value === 'string') {
    const needle = matchString(value, exact, markers);
    if (needle) found.push({ at, value: value.length > 200 ? `${value.slice(0, 200)}…` : value, needle });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      scan(item, `${at}[${i}]`, exact, markers, found);
    });
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) scan(item, `${at}.${key}`, exact, markers, found);
  }
}

/** What of the victim's a JSON value (a dump, an event's data) holds. */
export function findInData(data: unknown, needles: VictimNeedles, at = 'data'): Finding[] {
  const found: Finding[] = [];
  scan(data, at, new Set(needles.exact), [...needles.contentMarkers, ...needles.idMarkers], found);
  return found;
}

/** What of the victim's a GraphQL answer gives away: anything in its data, content in its errors. */
export function findLeaks(
  result: { data?: unknown; errors?: readonly { message?: string }[] },
  needles: VictimNeedles,
): Finding[] {
  const found = findInData(result.data ?? null, needles);
  result.errors?.forEach((error, i) => {
    scan(error.message ?? '', `errors[${i}].message`, new Set(), needles.contentMarkers, found);
  });
  return found;
}

/** A finding as a report line: `Type.field via <path>: <where> = <value>` (and how many more). */
export function describeLeak(target: string, path: string, finding: Finding, of = 1): string {
  const more = of > 1 ? ` (and ${of - 1} more)` : '';
  return `${target} via ${path}: ${finding.at} = ${JSON.stringify(finding.value)}${more}`;
}
