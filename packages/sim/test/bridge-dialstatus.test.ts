/**
 * What a `bridge` leaves on its caller (FreeSWITCH 1.10.12). switch_ivr_originate, given a caller,
 * first sets originate_disposition=failure and DIALSTATUS=INVALIDARGS (so they read so while the
 * legs ring); when it fails, originate_disposition is the cause's name and DIALSTATUS a word for
 * it — ORIGINATOR_CANCEL CANCEL, USER_BUSY BUSY, NO_ANSWER NOANSWER, DESTINATION_OUT_OF_ORDER and
 * INVALID_PROFILE INVALIDARGS, CALL_REJECTED DONTCALL, any other cause its own name — and
 * mod_dptools' bridge adds originate_failed_cause (the cause's name). When it succeeds,
 * originate_disposition is `call accepted` and DIALSTATUS is EARLY for a leg that answered (the
 * source tests the answered flag that way round), ANSWER for one taken on early media; no
 * originate_failed_cause.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import type { CoreEvent } from '../src/core/index.js';
import { apiAt, harness, header, type Harness } from './core-capture.js';

const A_LEG = 'cccccccc-0000-4000-8000-0000000000c1';
const uuidOf = (e: CoreEvent): string => header(e, 'Unique-ID') ?? '';
const getvar = (h: Harness, name: string): Promise<string> => h.core.api('uuid_getvar', `${A_LEG} ${name}`);

type Behaviors = Record<string, Parameters<Harness['core']['control']['setEndpointBehavior']>[1]>;

/** The caller runs 9100: continue_on_fail=true, `bridge <dial>`, `hangup NORMAL_UNSPECIFIED`. */
async function caller(dial: string, behaviors: Behaviors = {}, advanceMs = 0): Promise<Harness> {
  const actions = [
    { application: 'set', data: 'continue_on_fail=true' },
    { application: 'bridge', data: dial },
    { application: 'hangup', data: 'NORMAL_UNSPECIFIED' },
  ];
  const h = harness({ dialplan: { default: [{ name: '9100', conditions: [{ field: 'destination_number', expression: '^9100$', actions }] }] } });
  h.core.control.setEndpointBehavior('user/2000', { answer: 'answer' });
  for (const [endpoint, b] of Object.entries(behaviors)) h.core.control.setEndpointBehavior(endpoint, b);
  assert.equal(await apiAt(h, 'originate', `{origination_uuid=${A_LEG}}user/2000 9100`, advanceMs), `+OK ${A_LEG}\n`);
  return h;
}

/** The caller's variables in its CHANNEL_HANGUP_COMPLETE. */
async function afterFailure(h: Harness, advanceMs = 0): Promise<Record<string, string | undefined>> {
  await h.clock.advance(advanceMs);
  const done = h.events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && uuidOf(e) === A_LEG);
  assert.ok(done, 'the caller went on and hung up');
  assert.equal(header(done, 'Hangup-Cause'), 'NORMAL_UNSPECIFIED');
  await h.core.stop();
  return {
    disposition: header(done, 'variable_originate_disposition'),
    dialstatus: header(done, 'variable_DIALSTATUS'),
    failed: header(done, 'variable_originate_failed_cause'),
  };
}

const CAUSES: ReadonlyArray<readonly [string, string]> = [
  ['USER_BUSY', 'BUSY'],
  ['NO_ANSWER', 'NOANSWER'],
  ['CALL_REJECTED', 'DONTCALL'],
  ['DESTINATION_OUT_OF_ORDER', 'INVALIDARGS'],
  ['INVALID_PROFILE', 'INVALIDARGS'],
  ['NORMAL_TEMPORARY_FAILURE', 'NORMAL_TEMPORARY_FAILURE'],
  ['SUBSCRIBER_ABSENT', 'SUBSCRIBER_ABSENT'],
  ['NO_ROUTE_DESTINATION', 'NO_ROUTE_DESTINATION'],
];

for (const [cause, dialstatus] of CAUSES) {
  void it(`bridge error/${cause}: DIALSTATUS=${dialstatus}, originate_failed_cause=${cause}`, async () => {
    const vars = await afterFailure(await caller(`error/${cause}`));
    assert.deepEqual(vars, { disposition: cause, dialstatus, failed: cause });
  });
}

void it('a leg that rejects (a session, USER_BUSY): DIALSTATUS=BUSY', async () => {
  const vars = await afterFailure(await caller('user/1001', { 'user/1001': { answer: 'busy', delayMs: 100 } }), 1000);
  assert.deepEqual(vars, { disposition: 'USER_BUSY', dialstatus: 'BUSY', failed: 'USER_BUSY' });
});

void it('the ring timeout (60 s): DIALSTATUS=NOANSWER', async () => {
  const vars = await afterFailure(await caller('user/1001', { 'user/1001': { answer: 'no-answer' } }), 65_000);
  assert.deepEqual(vars, { disposition: 'NO_ANSWER', dialstatus: 'NOANSWER', failed: 'NO_ANSWER' });
});

void it('failover: the last group decides (busy, then no answer)', async () => {
  const behaviors: Behaviors = { 'user/1001': { answer: 'busy', delayMs: 100 }, 'user/1002': { answer: 'no-answer' } };
  const vars = await afterFailure(await caller('user/1001|user/1002', behaviors), 65_000);
  assert.deepEqual(vars, { disposition: 'NO_ANSWER', dialstatus: 'NOANSWER', failed: 'NO_ANSWER' });
});

void it('while the legs ring: originate_disposition=failure, DIALSTATUS=INVALIDARGS', async () => {
  const h = await caller('user/1001', { 'user/1001': { answer: 'answer', delayMs: 5000 } }, 1000);
  assert.equal(await getvar(h, 'originate_disposition'), 'failure');
  assert.equal(await getvar(h, 'DIALSTATUS'), 'INVALIDARGS');
  assert.equal(await getvar(h, 'originate_failed_cause'), '_undef_');
  await h.core.stop();
});

void it('the caller hangs up while the legs ring: DIALSTATUS=CANCEL, originate_failed_cause=ORIGINATOR_CANCEL', async () => {
  const h = await caller('user/1001', { 'user/1001': { answer: 'answer', delayMs: 5000 } }, 1000);
  assert.equal(await h.core.api('uuid_kill', A_LEG), '+OK\n');
  await h.clock.advance(10_000);
  const done = h.events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && uuidOf(e) === A_LEG);
  assert.ok(done);
  assert.equal(header(done, 'variable_originate_disposition'), 'ORIGINATOR_CANCEL');
  assert.equal(header(done, 'variable_DIALSTATUS'), 'CANCEL');
  assert.equal(header(done, 'variable_originate_failed_cause'), 'ORIGINATOR_CANCEL');
  await h.core.stop();
});

void it('an answered leg: originate_disposition=call accepted, DIALSTATUS=EARLY, no originate_failed_cause', async () => {
  const h = await caller('user/1001', { 'user/1001': { answer: 'answer', delayMs: 100 } }, 1000);
  assert.equal(h.events.filter((e) => e.name === 'CHANNEL_BRIDGE').length, 1, 'bridged');
  assert.equal(await getvar(h, 'originate_disposition'), 'call accepted');
  assert.equal(await getvar(h, 'DIALSTATUS'), 'EARLY');
  assert.equal(await getvar(h, 'originate_failed_cause'), '_undef_');
  await h.core.stop();
});
