/**
 * Why bytes that should be an fsbus reply envelope or event payload are not one, in words for an
 * error message (`it is not JSON`, `success is not a boolean (got a string); no status, message`).
 * Called only for what already failed to decode, so a well-formed message pays nothing for it.
 */

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** `none`, `null`, `an array`, `a string`… */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'none';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** The JSON value of `data`, or why it has none. Decoded as the decoders do (invalid bytes inside JSON strings are replaced). */
function jsonOf(data: Uint8Array): { value: unknown } | { problem: string } {
  if (data.byteLength === 0) return { problem: 'it is empty' };
  try {
    return { value: JSON.parse(new TextDecoder().decode(data)) as unknown };
  } catch {
    try {
      STRICT_UTF8.decode(data);
    } catch {
      return { problem: 'it is not UTF-8 text' };
    }
    return { problem: 'it is not JSON' };
  }
}

type Field = readonly [name: string, expected: string, ok: (v: unknown) => boolean];

/** Wrong fields one by one, then the missing ones together: `a is not a string (got a number); no b, c`. */
function fieldProblems(value: unknown, kind: string, fields: readonly Field[]): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `it is JSON but ${describeValue(value)}, not ${kind}`;
  const record = value as Record<string, unknown>;
  const wrong: string[] = [];
  const missing: string[] = [];
  for (const [name, expected, ok] of fields) {
    const v = record[name];
    if (v === undefined) missing.push(name);
    else if (!ok(v)) wrong.push(`${name} is not ${expected} (got ${describeValue(v)})`);
  }
  if (missing.length > 0) wrong.push(`no ${missing.join(', ')}`);
  return wrong.join('; ');
}

const ENVELOPE_FIELDS: readonly Field[] = [
  ['success', 'a boolean', (v) => typeof v === 'boolean'],
  ['status', "'success' or 'error'", (v) => v === 'success' || v === 'error'],
  ['message', 'a string', (v) => typeof v === 'string'],
  ['timestamp', 'a number', (v) => typeof v === 'number'],
  ['node_id', 'a string', (v) => typeof v === 'string'],
];

const EVENT_FIELDS: readonly Field[] = [
  ['event_name', 'a string', (v) => typeof v === 'string'],
  ['node_id', 'a string', (v) => typeof v === 'string'],
  ['headers', 'an object', (v) => typeof v === 'object' && v !== null],
];

/** Why `data` is not a reply envelope, and the node it names if it names one. */
export function envelopeProblem(data: Uint8Array): { problem: string; nodeId: string | undefined } {
  const json = jsonOf(data);
  if ('problem' in json) return { problem: json.problem, nodeId: undefined };
  const v = json.value;
  const named = v !== null && typeof v === 'object' ? (v as { node_id?: unknown }).node_id : undefined;
  return { problem: fieldProblems(v, 'an envelope', ENVELOPE_FIELDS), nodeId: typeof named === 'string' ? named : undefined };
}

/** Why `data` is not an event payload. */
export function eventProblem(data: Uint8Array): string {
  const json = jsonOf(data);
  return 'problem' in json ? json.problem : fieldProblems(json.value, 'an event object', EVENT_FIELDS);
}
