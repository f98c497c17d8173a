/**
 * Normalisers for comparing the simulator's frames with the real captures byte for byte:
 * whatever inherently differs between two runs (uuids, clocks, counters, sequence numbers,
 * lengths that follow them, this machine's addresses) is replaced by a placeholder, and
 * everything else — names, values, order, escaping — must be identical.
 */
import type { RawFrame } from '@fsbus/esl';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** A name whose value is run-dependent: a clock, a counter, a duration, an address, a length (`created`: show channels). */
const VOLATILE =
  '[A-Za-z_-]*(?:Date|Time|Sequence|IPv4|IPv6|epoch|_stamp|sec|duration|_time|session_id|usec|msec|Content-Length|Uptime|Idle|_seconds|_ms|_samples|offset_pos|created)[A-Za-z_-]*';
const JSON_VOLATILE = new RegExp(`("${VOLATILE}":)"(?:[^"\\\\]|\\\\.)*"`, 'g');
const XML_VOLATILE = new RegExp(`(<(${VOLATILE})>)[^<]*(</)`, 'g');
const PLAIN_VOLATILE = new RegExp(`^(${VOLATILE}: ).*$`, 'gm');

export type Encoding = 'plain' | 'json' | 'xml';

/** The text with uuids and run-dependent values replaced, as written in `encoding`. */
export function normalise(text: string, encoding: Encoding): string {
  const out =
    encoding === 'json'
      ? text.replace(JSON_VOLATILE, '$1"X"')
      : encoding === 'xml'
        ? text.replace(XML_VOLATILE, '$1X$3')
        : text.replace(PLAIN_VOLATILE, '$1X');
  return out.replace(UUID, '<uuid>');
}

const TIMER_EVENTS = new Set(['HEARTBEAT', 'RE_SCHEDULE']);

/** Events of one encoding, normalised, by `<channel> <event> #<occurrence>` (timer events apart). */
export function normalisedEvents(frames: readonly RawFrame[], encoding: Encoding, timers = false): Map<string, string> {
  const out = new Map<string, string>();
  const seen = new Map<string, number>();
  for (const f of frames) {
    if (f.headers.get('Content-Type') !== `text/event-${encoding}`) continue;
    const text = f.body?.toString('utf8') ?? '';
    const name = /Event-Name(?:": ?"|>|: )([A-Z_]+)/.exec(text)?.[1] ?? '?';
    if (TIMER_EVENTS.has(name) !== timers) continue;
    const channel = /Channel-Name(?:":"|>|: )([^"<\n]+)/.exec(text)?.[1] ?? '';
    const id = `${channel} ${name}`;
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    out.set(`${id} #${n}`, normalise(text, encoding));
  }
  return out;
}

/** One line per event that differs: its key and the first differing lines (real / got). */
export function eventDifferences(real: ReadonlyMap<string, string>, got: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const key of new Set([...real.keys(), ...got.keys()])) {
    const r = real.get(key);
    const g = got.get(key);
    if (r === undefined || g === undefined) {
      out.push(`${key}: ${r === undefined ? 'not in the capture' : 'not sent'}`);
    } else if (r !== g) {
      out.push(`${key}: ${firstDifference(r, g)}`);
    }
  }
  return out;
}

/** Where two texts first differ, with a little context from each. */
export function firstDifference(real: string, got: string): string {
  let i = 0;
  while (i < real.length && real[i] === got[i]) i++;
  const from = Math.max(0, i - 40);
  return `real …${JSON.stringify(real.slice(from, i + 60))} / got …${JSON.stringify(got.slice(from, i + 60))}`;
}

/** A whole frame as text (headers in order, then the body), normalised like a plain event. */
export function normalisedFrame(frame: RawFrame): string {
  const head = [...frame.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  return normalise(`${head}\n\n${frame.body?.toString('utf8') ?? ''}`, 'plain');
}
