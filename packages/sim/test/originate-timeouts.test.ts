/**
 * Which ring timeout a dial gets, and the per-leg ones (FreeSWITCH 1.10.12's switch_ivr_originate).
 * The time limit it is handed — `api originate`'s timeout argument (60 without it), nothing from
 * `bridge` — is first replaced by the caller's call_timeout (bridge only), 0 meaning 60; then
 * originate_timeout from the dial string's `<…>`/`{…}` blocks (or the caller's export_vars) wins
 * whenever it is above 0 — `[…]` blocks are the legs' own and are not read for it. A leg's
 * leg_timeout (from `{…}` or its `[…]`) ends that leg alone ALLOTTED_TIMEOUT once
 * `now_sec - start > leg_timeout` (check_per_channel_timeouts), the others ring on; its
 * leg_delay_start holds the leg before its state machine runs (no CHANNEL_CREATE) until
 * `now_sec - start > leg_delay_start`, or at once when no leg without a delay is left, and
 * pushes its leg_timeout back by the delay. The clock starts on a whole second, which the test moves.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { FakeClock, SimCore } from '../src/core/index.js';
import type { CoreEvent, CoreLogLine, SimCoreOptions } from '../src/core/index.js';
import { header } from './core-capture.js';

const A_LEG = 'cccccccc-0000-4000-8000-0000000000d1';
type Behaviors = Record<string, Parameters<SimCore['control']['setEndpointBehavior']>[1]>;

interface Setup {
  core: SimCore;
  clock: FakeClock;
  events: CoreEvent[];
  logs: CoreLogLine[];
}

function setup(behaviors: Behaviors, options: SimCoreOptions = {}): Setup {
  const clock = new FakeClock(1_700_000_000_000_000);
  const core = new SimCore({ clock, nodeName: 'vm', heartbeatIntervalMs: 0, ...options });
  const events: CoreEvent[] = [];
  const logs: CoreLogLine[] = [];
  core.onEvent((e) => events.push(e));
  core.onLog((l) => logs.push(l));
  core.start();
  for (const [endpoint, b] of Object.entries(behaviors)) core.control.setEndpointBehavior(endpoint, b);
  return { core, clock, events, logs };
}

const settled = (p: Promise<string>): Promise<string> => Promise.race([p, new Promise<string>((r) => setImmediate(() => r('pending')))]);
const byDest = (s: Setup, name: string, dest: string): CoreEvent[] =>
  s.events.filter((e) => e.name === name && header(e, 'Caller-Destination-Number') === dest && header(e, 'Unique-ID') !== A_LEG);
const causeOf = (s: Setup, dest: string): string | undefined => {
  const ev = byDest(s, 'CHANNEL_HANGUP', dest);
  return ev.length === 0 ? undefined : header(ev[0] as CoreEvent, 'Hangup-Cause');
};

/** A caller (user/2000, answers) whose dialplan bridges `dial`, with `sets` set first. */
async function bridging(dial: string, behaviors: Behaviors, sets: readonly string[] = []): Promise<Setup> {
  const actions = [...sets.map((data) => ({ application: 'set', data })), { application: 'bridge', data: dial }, { application: 'park' }];
  const s = setup({ 'user/2000': { answer: 'answer' }, ...behaviors }, { dialplan: { default: [{ name: '9100', conditions: [{ field: 'destination_number', expression: '^9100$', actions }] }] } });
  const p = s.core.api('originate', `{origination_uuid=${A_LEG}}user/2000 9100`);
  await s.clock.advance(0);
  assert.equal(await p, `+OK ${A_LEG}\n`);
  return s;
}

/** Moves to `ms` after the start minus 1 ms and checks `dest` still rings, then 1 ms on and checks it ended `cause`. */
async function endsAt(s: Setup, dest: string, ms: number, cause: string): Promise<void> {
  await s.clock.advance(ms - 1 - (s.clock.nowMicros() - 1_700_000_000_000_000) / 1000);
  assert.equal(causeOf(s, dest), undefined, `${dest} still rings at ${ms - 1} ms`);
  await s.clock.advance(1);
  assert.equal(causeOf(s, dest), cause, `${dest} at ${ms} ms`);
}

void it('bridge: {originate_timeout=3} beats the caller\'s call_timeout=10 — NO_ANSWER at 3 s', async () => {
  const s = await bridging('{originate_timeout=3}user/1001', { 'user/1001': { answer: 'no-answer' } }, ['call_timeout=10']);
  await endsAt(s, '1001', 3000, 'NO_ANSWER');
  assert.equal(await s.core.api('uuid_getvar', `${A_LEG} originate_disposition`), 'NO_ANSWER');
  await s.core.stop();
});

void it('bridge: {originate_timeout=3} without call_timeout (not 60 s)', async () => {
  const s = await bridging('{originate_timeout=3}user/1001', { 'user/1001': { answer: 'no-answer' } });
  await endsAt(s, '1001', 3000, 'NO_ANSWER');
  await s.core.stop();
});

void it('bridge: <originate_timeout=2> (ultra-global) is read too', async () => {
  const s = await bridging('<originate_timeout=2>user/1001', { 'user/1001': { answer: 'no-answer' } });
  await endsAt(s, '1001', 2000, 'NO_ANSWER');
  await s.core.stop();
});

void it('bridge: originate_timeout=0 is ignored, call_timeout=2 stands', async () => {
  const s = await bridging('{originate_timeout=0}user/1001', { 'user/1001': { answer: 'no-answer' } }, ['call_timeout=2']);
  await endsAt(s, '1001', 2000, 'NO_ANSWER');
  await s.core.stop();
});

void it('bridge: originate_timeout exported by the caller (export_vars) is read', async () => {
  const s = await bridging('user/1001', { 'user/1001': { answer: 'no-answer' } }, ['originate_timeout=2', 'export_vars=originate_timeout']);
  await endsAt(s, '1001', 2000, 'NO_ANSWER');
  await s.core.stop();
});

void it('bridge: a [originate_timeout=2] block is the leg\'s own, not the ring timeout (call_timeout=4 stands)', async () => {
  const s = await bridging('[originate_timeout=2]user/1001', { 'user/1001': { answer: 'no-answer' } }, ['call_timeout=4']);
  await endsAt(s, '1001', 4000, 'NO_ANSWER');
  await s.core.stop();
});

void it('api originate: {originate_timeout=2} beats the timeout argument 5', async () => {
  const s = setup({ 'user/1001': { answer: 'no-answer' } });
  const p = s.core.api('originate', '{originate_timeout=2}user/1001 &park() XML default undef undef 5');
  await endsAt(s, '1001', 2000, 'NO_ANSWER');
  assert.equal(await p, '-ERR NO_ANSWER\n');
  await s.core.stop();
});

void it('api originate: the timeout argument 2 without originate_timeout', async () => {
  const s = setup({ 'user/1001': { answer: 'no-answer' } });
  const p = s.core.api('originate', 'user/1001 &park() XML default undef undef 2');
  await endsAt(s, '1001', 2000, 'NO_ANSWER');
  assert.equal(await p, '-ERR NO_ANSWER\n');
  await s.core.stop();
});

void it('[leg_timeout=2] ends that leg alone ALLOTTED_TIMEOUT at 3 s; the other rings on to the ring timeout', async () => {
  const s = setup({ 'user/1001': { answer: 'no-answer' }, 'user/1002': { answer: 'no-answer' } });
  const p = s.core.api('originate', '{originate_timeout=6}[leg_timeout=2]user/1001,user/1002 &park()');
  await endsAt(s, '1001', 3000, 'ALLOTTED_TIMEOUT');
  assert.equal(causeOf(s, '1002'), undefined);
  assert.equal(await settled(p), 'pending');
  await endsAt(s, '1002', 6000, 'NO_ANSWER');
  assert.equal(await p, '-ERR NO_ANSWER\n');
  await s.core.stop();
});

void it('[leg_timeout=2] on the only leg: the originate fails ALLOTTED_TIMEOUT with its error line', async () => {
  const s = setup({ 'user/1001': { answer: 'no-answer' } });
  const p = s.core.api('originate', '[leg_timeout=2]user/1001 &park()');
  await endsAt(s, '1001', 3000, 'ALLOTTED_TIMEOUT');
  await s.clock.advance(0);
  assert.equal(await p, '-ERR ALLOTTED_TIMEOUT\n');
  assert.ok(s.logs.some((l) => l.text.includes('Originate Resulted in Error Cause: 802 [ALLOTTED_TIMEOUT]')));
  await s.core.stop();
});

void it('{leg_timeout=1} applies to every leg; a leg answering in time still wins', async () => {
  const s = setup({ 'user/1001': { answer: 'no-answer' }, 'user/1002': { answer: 'answer', delayMs: 1500 } });
  const p = s.core.api('originate', '{leg_timeout=1}user/1001,user/1002 &park()');
  await s.clock.advance(1500);
  assert.match(await p, /^\+OK /);
  assert.equal(causeOf(s, '1001'), 'LOSE_RACE');
  await s.core.stop();
});

void it('bridge: [leg_timeout=1] ends its leg ALLOTTED_TIMEOUT at 2 s while the other leg answers later', async () => {
  const s = await bridging('[leg_timeout=1]user/1001,user/1002', { 'user/1001': { answer: 'no-answer' }, 'user/1002': { answer: 'answer', delayMs: 4000 } });
  await endsAt(s, '1001', 2000, 'ALLOTTED_TIMEOUT');
  await s.clock.advance(2000);
  assert.equal(causeOf(s, '1002'), undefined);
  assert.equal(byDest(s, 'CHANNEL_ANSWER', '1002').length, 1);
  assert.equal(await s.core.api('uuid_getvar', `${A_LEG} originate_disposition`), 'call accepted');
  await s.core.stop();
});

void it('[leg_delay_start=2]: the leg is held (no CHANNEL_CREATE) until 3 s, then rings and wins', async () => {
  const s = setup({ 'user/1001': { answer: 'no-answer' }, 'user/1002': { answer: 'answer' } });
  const p = s.core.api('originate', '{originate_timeout=10}user/1001,[leg_delay_start=2]user/1002 &park()');
  await s.clock.advance(2999);
  assert.equal(byDest(s, 'CHANNEL_OUTGOING', '1002').length, 1);
  assert.equal(byDest(s, 'CHANNEL_CREATE', '1002').length, 0, 'held');
  assert.equal(await settled(p), 'pending');
  await s.clock.advance(1);
  assert.equal(byDest(s, 'CHANNEL_CREATE', '1002').length, 1, 'launched');
  assert.match(await p, /^\+OK /);
  assert.equal(causeOf(s, '1001'), 'LOSE_RACE');
  await s.core.stop();
});

void it('leg_delay_start: once no undelayed leg is left the held leg starts at once, its leg_timeout moved with it', async () => {
  const s = setup({ 'user/1001': { answer: 'busy', delayMs: 1000 }, 'user/1002': { answer: 'no-answer' } });
  const p = s.core.api('originate', '{originate_timeout=20}user/1001,[leg_delay_start=5,leg_timeout=2]user/1002 &park()');
  await s.clock.advance(1000);
  assert.equal(causeOf(s, '1001'), 'USER_BUSY');
  assert.equal(byDest(s, 'CHANNEL_CREATE', '1002').length, 1, 'started when 1001 was gone');
  // leg_timeout 2 + delay 5 = 7, less the 4 s skipped (5 - 1 elapsed): over once elapsed > 3.
  await endsAt(s, '1002', 4000, 'ALLOTTED_TIMEOUT');
  await s.clock.advance(0);
  assert.equal(await p, '-ERR USER_BUSY\n');
  await s.core.stop();
});

void it('leg_delay_start on every leg: the shortest delay is skipped', async () => {
  const s = setup({ 'user/1001': { answer: 'answer' } });
  const p = s.core.api('originate', '[leg_delay_start=4]user/1001 &park()');
  await s.clock.advance(0);
  assert.equal(byDest(s, 'CHANNEL_CREATE', '1001').length, 1);
  assert.match(await p, /^\+OK /);
  await s.core.stop();
});
