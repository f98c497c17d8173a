/**
 * Fidelity: replays the captured call scenario (shared-scenario.json, shared-control.bin) against
 * the simulator, with listeners subscribed like the capture's (plain/json/xml ALL, log 7) and an
 * outbound server replaying the captured `socket` session, then compares with the real
 * FreeSWITCH: replies, event sequences per channel, header names and order per event, the three
 * encodings' framing, log/data frames and the outbound exchange.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { RawFrame } from '@fsbus/esl';
import { runCapturedScenario, type ScenarioRun } from './fidelity-run.js';
import { capturePattern, plainNames, plainPairs, plainValue, readFrames, withFixtures } from './fidelity-support.js';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const TIMER_EVENTS = new Set(['HEARTBEAT', 'RE_SCHEDULE']);

interface EventInfo {
  key: string;
  name: string;
  names: string[];
  pairs: Array<[string, string]>;
}

/** Events of a plain stream keyed by channel name (or event name when not a channel's). */
function events(frames: readonly RawFrame[]): EventInfo[] {
  return frames
    .filter((f) => f.headers.get('Content-Type') === 'text/event-plain')
    .map((f) => {
      const name = plainValue(f.body, 'Event-Name') ?? '?';
      return { key: plainValue(f.body, 'Channel-Name') ?? name, name, names: plainNames(f.body), pairs: plainPairs(f.body) };
    })
    .filter((e) => !TIMER_EVENTS.has(e.name));
}

function sequences(list: readonly EventInfo[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of list) (out[e.key] ??= []).push(e.name);
  return out;
}

/** Events by `<channel> <event> #<occurrence>`. */
function byOccurrence(list: readonly EventInfo[]): Map<string, EventInfo> {
  const seen = new Map<string, number>();
  const out = new Map<string, EventInfo>();
  for (const e of list) {
    const id = `${e.key} ${e.name}`;
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    out.set(`${id} #${n}`, e);
  }
  return out;
}

function headerNames(list: readonly EventInfo[]): Record<string, string[]> {
  return Object.fromEntries([...byOccurrence(list)].map(([k, e]) => [k, e.names]));
}

/** Values that differ between any two runs: clocks, counters, this machine's addresses. */
const RUN_DEPENDENT = /Date|Time|Sequence|IPv4|IPv6|epoch|_stamp$|sec$|duration|_time$|session_id$/;

/**
 * Where a header's value differs from the capture's, uuids aside: `<event> <header>: real / got`.
 * A run-dependent time is compared only for being set (non-zero) or not.
 */
function valueDifferences(real: readonly EventInfo[], got: readonly EventInfo[]): string[] {
  const mine = byOccurrence(got);
  const out: string[] = [];
  const norm = (v: string): string => v.replace(UUID, '<uuid>');
  for (const [key, r] of byOccurrence(real)) {
    const g = mine.get(key);
    if (g === undefined) continue; // reported by the header-names comparison
    const left = new Map<string, string[]>();
    for (const [n, v] of g.pairs) left.set(n, [...(left.get(n) ?? []), v]);
    for (const [n, want] of r.pairs) {
      const have = left.get(n)?.shift();
      if (have === undefined) continue;
      const differs = RUN_DEPENDENT.test(n) ? /-Time$/.test(n) && (want === '0') !== (have === '0') : norm(want) !== norm(have);
      if (differs) out.push(`${key} ${n}: ${want} / ${have}`);
    }
  }
  return out;
}


void describe('fidelity: call scenario of a real FreeSWITCH 1.10.12', () => {
  withFixtures((dir) => {
    let run: ScenarioRun;
    let clients: ScenarioRun['clients'];
    let replay: ScenarioRun['replay'];
    let replies: RawFrame[];
    let scenarioError: unknown;

    void before(async () => {
      run = await runCapturedScenario(dir);
      ({ clients, replay } = run);
      replies = run.control.slice(2); // after the greeting and the auth reply
      scenarioError = run.error;
    });

    void after(async () => {
      await run.stop();
    });

    void it('runs the whole scenario (every awaited event arrives)', () => {
      assert.equal(scenarioError, undefined);
    });

    void it('answers every command of the scenario as FreeSWITCH did', () => {
      const captured = readFrames(dir, 'shared-control.bin').slice(2);
      assert.equal(replies.length, captured.length);
      for (const [i, real] of captured.entries()) {
        const got = replies[i]!;
        assert.deepEqual([...got.headers.keys()], [...real.headers.keys()], `reply ${i}: header names`);
        const realBody = real.body?.toString() ?? '';
        const gotBody = got.body?.toString() ?? '';
        if (realBody.startsWith('{')) {
          const keys = (text: string): unknown => {
            const v = JSON.parse(text) as Record<string, unknown>;
            return Array.isArray(v['rows']) ? (v['rows'] as Array<Record<string, unknown>>).map((r) => Object.keys(r)) : Object.keys(v);
          };
          assert.deepEqual(keys(gotBody), keys(realBody), `reply ${i}: JSON keys and order`);
        } else {
          assert.match(gotBody, capturePattern(realBody.replace(UUID, '<uuid>')), `reply ${i}: body`);
          const text = real.headers.get('Reply-Text');
          if (text !== undefined) assert.match(got.headers.get('Reply-Text') ?? '', capturePattern(text.replace(UUID, '<uuid>')), `reply ${i}`);
        }
      }
    });

    void it('fires the same events per channel, in the same order', () => {
      const real = sequences(events(readFrames(dir, 'shared-plain.bin')));
      const got = sequences(events(clients.plain.peek()));
      assert.deepEqual(got, real);
    });

    void it('gives every event the header names, in order, of the real one', () => {
      const real = headerNames(events(readFrames(dir, 'shared-plain.bin')));
      const got = headerNames(events(clients.plain.peek()));
      // One line per differing event, naming the headers missing, extra, or out of order.
      const differences: string[] = [];
      for (const key of new Set([...Object.keys(real), ...Object.keys(got)])) {
        const r = real[key];
        const g = got[key];
        if (r === undefined || g === undefined) {
          differences.push(`${key}: ${r === undefined ? 'not in the capture' : 'not fired'}`);
          continue;
        }
        if (r.join() === g.join()) continue;
        const missing = r.filter((n) => !g.includes(n));
        const extra = g.filter((n) => !r.includes(n));
        const at = r.findIndex((n, i) => g[i] !== n);
        const order = missing.length + extra.length === 0 ? ` order differs at ${at}: real ${r.slice(at, at + 3).join(' ')} / got ${g.slice(at, at + 3).join(' ')}` : '';
        differences.push(`${key}: missing [${missing.join(' ')}] extra [${extra.join(' ')}]${order}`);
      }
      assert.deepEqual(differences, []);
    });

    void it('gives every event the header values of the real one (uuids, clocks and addresses aside)', () => {
      const differences = valueDifferences(events(readFrames(dir, 'shared-plain.bin')), events(clients.plain.peek()));
      assert.deepEqual(differences, []);
    });

    void it('frames plain, json and xml as FreeSWITCH does, with the same events in each', () => {
      const seqOf = (f: RawFrame, fmt: string): string => {
        const text = f.body?.toString() ?? '';
        // The first occurrence: some events (COMMAND) carry a second Event-Sequence, as in the capture.
        if (fmt === 'json') return /"Event-Sequence":"(\d+)"/.exec(text)?.[1] ?? '?';
        if (fmt === 'xml') return /<Event-Sequence>(\d+)<\/Event-Sequence>/.exec(text)?.[1] ?? '?';
        return plainValue(f.body, 'Event-Sequence') ?? '?';
      };
      const bySeq: Record<string, string[]> = {};
      for (const fmt of ['plain', 'json', 'xml'] as const) {
        const frames = clients[fmt].peek();
        assert.ok(frames.length > 50, `${fmt}: events received`);
        for (const f of frames) {
          assert.deepEqual([...f.headers.keys()], ['Content-Length', 'Content-Type']);
          assert.equal(f.headers.get('Content-Type'), `text/event-${fmt}`);
          assert.equal(Number(f.headers.get('Content-Length')), f.body?.length);
          if (fmt === 'xml') assert.ok(f.body?.toString().endsWith('</event>\n'), 'xml frames end with the line feed FreeSWITCH counts');
        }
        bySeq[fmt] = frames.map((f) => seqOf(f, fmt));
      }
      assert.deepEqual(bySeq['json'], bySeq['plain']);
      assert.deepEqual(bySeq['xml'], bySeq['plain']);
      for (const fmt of ['plain', 'json', 'xml'] as const) {
        const real = readFrames(dir, `shared-${fmt}.bin`).filter((f) => f.headers.get('Content-Type') === `text/event-${fmt}`);
        assert.deepEqual([...real[0]!.headers.keys()], ['Content-Length', 'Content-Type'], `${fmt}: the capture frames events the same way`);
      }
    });

    void it('writes log/data frames with FreeSWITCH header order', () => {
      const frames = clients.log.peek();
      const real = readFrames(dir, 'shared-log.bin').filter((f) => f.headers.get('Content-Type') === 'log/data');
      assert.ok(frames.length > 0, 'log lines received');
      for (const f of frames) assert.deepEqual([...f.headers.keys()], [...real[0]!.headers.keys()]);
    });

    void it('serves the outbound socket session exactly as in the capture', () => {
      // First the sequence of frames (kinds, replies, event names), then their header names.
      const short = (d: string): string => d.replace(/ \[[^\]]*\]/, '').slice(0, 80);
      assert.deepEqual(replay.actual.map(short), replay.expected.map(short));
      assert.deepEqual(replay.actual, replay.expected);
    });
  });
});
