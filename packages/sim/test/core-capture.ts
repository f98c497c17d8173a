/**
 * Test support for the core's unit tests: the real FreeSWITCH plain-event capture as a list
 * of events sorted by Event-Sequence, and helpers to compare the core's events with it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EslParser, fsUrlDecode } from '@fsbus/esl';
import type { CoreEvent, CoreLogLine } from '../src/core/index.js';
import { SimCore, FakeClock } from '../src/core/index.js';
import type { SimCoreOptions } from '../src/core/index.js';

export interface CapturedEvent {
  readonly name: string;
  readonly seq: number;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string | undefined;
}

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

export function fixturesDir(): string | undefined {
  const env = process.env['FSBUS_FIXTURES_DIR'];
  const candidates = [...(env ? [join(env, 'real-fs-1.10.12'), env] : []), resolve(ROOT, '../shared/fixtures/real-fs-1.10.12')];
  return candidates.find((d) => existsSync(join(d, 'shared-plain.bin')));
}

/** Reason to skip when the captures are absent (these unit tests never pass vacuously). */
export const NO_FIXTURES = fixturesDir() === undefined ? 'real FreeSWITCH captures not found (set FSBUS_FIXTURES_DIR)' : false;

let cache: CapturedEvent[] | undefined;
let delivered: CapturedEvent[] = [];
export function capturedEvents(): CapturedEvent[] {
  if (cache) return cache;
  const dir = fixturesDir();
  if (dir === undefined) throw new Error('captures not found');
  const out: CapturedEvent[] = [];
  new EslParser((raw) => {
    if (raw.headers.get('Content-Type') !== 'text/event-plain') return;
    // Read the plain body line by line: duplicate headers (FreeSWITCH writes some) are kept.
    const text = raw.body?.toString('utf8') ?? '';
    const end = text.indexOf('\n\n');
    const headers: Array<[string, string]> = [];
    for (const line of (end < 0 ? text : text.slice(0, end)).split('\n')) {
      const i = line.indexOf(': ');
      if (i > 0) headers.push([line.slice(0, i), fsUrlDecode(line.slice(i + 2))]);
    }
    // The body's own Content-Length is framing, not an event header.
    const contentLength = headers.findLastIndex(([k]) => k === 'Content-Length');
    const body = contentLength >= 0 && contentLength === headers.length - 1 ? text.slice(end + 2) : undefined;
    if (body !== undefined) headers.splice(contentLength, 1);
    const eventHeaders = headers;
    // The real event's name and sequence are the last core block's (uuid_broadcast's carries two).
    const last = (n: string): string => eventHeaders.findLast(([k]) => k === n)?.[1] ?? '';
    out.push({ name: last('Event-Name'), seq: Number(last('Event-Sequence')), headers: eventHeaders, body });
  }).push(readFileSync(join(dir, 'shared-plain.bin')));
  delivered = [...out];
  cache = out.sort((a, b) => a.seq - b.seq);
  return cache;
}

/**
 * The same events in the order the listener received them. It differs from Event-Sequence order
 * where FreeSWITCH took the number when it created the event and fired it later (API events).
 */
export function capturedInDeliveryOrder(): CapturedEvent[] {
  capturedEvents();
  return delivered;
}

export function header(e: { headers: ReadonlyArray<readonly [string, string]> }, name: string): string | undefined {
  return e.headers.find(([k]) => k === name)?.[1];
}

/** `NAME leg` where leg is a/b from the loopback channel name, or '-' for non-channel events. */
export function label(e: { name: string; headers: ReadonlyArray<readonly [string, string]> }): string {
  const ch = header(e, 'Channel-Name') ?? '';
  const leg = /-([ab])$/.exec(ch)?.[1] ?? '-';
  return `${e.name} ${leg}`;
}

/** The captured events of one loopback call (both legs), by extension, from its API event on. */
export function captureOfCall(ext: string, from: number, to: number): CapturedEvent[] {
  return capturedEvents().filter((e) => e.seq >= from && e.seq <= to && (header(e, 'Channel-Name') ?? `loopback/${ext}`).startsWith(`loopback/${ext}`) && e.name !== 'API');
}

/** Header names, variables collapsed to one marker (their set depends on the call). */
export function shape(e: { headers: ReadonlyArray<readonly [string, string]> }): string[] {
  const out: string[] = [];
  for (const [k] of e.headers) {
    const n = k.startsWith('variable_') ? 'variable_*' : k;
    if (out[out.length - 1] !== n) out.push(n);
  }
  return out;
}

export interface Harness {
  readonly core: SimCore;
  readonly clock: FakeClock;
  readonly events: CoreEvent[];
}

export function harness(options: SimCoreOptions = {}): Harness {
  const clock = new FakeClock();
  const core = new SimCore({ clock, nodeName: 'vm', heartbeatIntervalMs: 0, ...options });
  const events: CoreEvent[] = [];
  core.onEvent((e) => events.push(e));
  core.start();
  return { core, clock, events };
}

/** Settles an api() call whose reply depends on the simulated clock. */
export async function apiAt(h: Harness, command: string, args: string, advanceMs = 0): Promise<string> {
  const p = h.core.api(command, args);
  await h.clock.advance(advanceMs);
  return p;
}

/** A harness with a loopback leg `uuid` parked, and the core's log lines from then on. */
export async function parkedLeg(uuid: string): Promise<Harness & { logs: CoreLogLine[] }> {
  const h = harness();
  const logs: CoreLogLine[] = [];
  h.core.onLog((l) => logs.push(l));
  const reply = await apiAt(h, 'originate', `{origination_uuid=${uuid}}loopback/7001 &park()`);
  if (reply !== `+OK ${uuid}\n`) throw new Error(`originate of the parked leg: ${reply}`);
  return { ...h, logs };
}

/** A sendmsg `execute` of `app` `arg` on `uuid`: the core's reply. */
export function executeOn(h: Harness, uuid: string, app: string, arg: string): string {
  const headers = new Map([['call-command', 'execute'], ['execute-app-name', app], ['execute-app-arg', arg]]);
  return h.core.sendmsg(uuid, { callCommand: 'execute', headers, body: undefined });
}
