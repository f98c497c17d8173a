/**
 * A `bridge` whose caller hangs up while its legs still ring (FreeSWITCH 1.10.12's
 * switch_ivr_originate, run by mod_dptools' bridge with the caller's session): the ring loop sees
 * the caller no longer ready, and every leg it rings — each fork of the group, the group the
 * failover list has reached — is hung up ORIGINATOR_CANCEL; none answers later, the caller's
 * originate_disposition is ORIGINATOR_CANCEL and no channel is left. Gone during the retry sleep,
 * the caller's own hangup cause is the originate's. `api originate` (no caller)
 * rings on. The far ends answer on the simulator's clock, which the test moves.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import type { CoreEvent } from '../src/core/index.js';
import { apiAt, harness, header, type Harness } from './core-capture.js';

const A_LEG = 'cccccccc-0000-4000-8000-00000000000a';
const dest = (e: CoreEvent): string => header(e, 'Caller-Destination-Number') ?? '';
const uuidOf = (e: CoreEvent): string => header(e, 'Unique-ID') ?? '';
const named = (h: Harness, name: string, uuid: string): CoreEvent[] => h.events.filter((e) => e.name === name && uuidOf(e) === uuid);

/** The B legs created so far (CHANNEL_CREATE of an outbound leg other than the caller). */
const bLegs = (h: Harness): CoreEvent[] => h.events.filter((e) => e.name === 'CHANNEL_CREATE' && uuidOf(e) !== A_LEG);

type Behaviors = Record<string, Parameters<Harness['core']['control']['setEndpointBehavior']>[1]>;

/** Originates the caller (answers at once) into `&bridge(<dial>)`, or extension 9100 of the dialplan with `viaDialplan`. */
async function callerBridging(dial: string, behaviors: Behaviors, viaDialplan = false): Promise<Harness> {
  const actions = [{ application: 'bridge', data: dial }, { application: 'park' }];
  const h = harness({ dialplan: { default: [{ name: '9100', conditions: [{ field: 'destination_number', expression: '^9100$', actions }] }] } });
  h.core.control.setEndpointBehavior('user/2000', { answer: 'answer' });
  for (const [endpoint, b] of Object.entries(behaviors)) h.core.control.setEndpointBehavior(endpoint, b);
  const target = viaDialplan ? '9100' : `&bridge(${dial})`;
  assert.equal(await apiAt(h, 'originate', `{origination_uuid=${A_LEG}}user/2000 ${target}`), `+OK ${A_LEG}\n`);
  return h;
}

/** Kills the caller, then lets the scripted answers fall due: the B legs end ORIGINATOR_CANCEL, unanswered, and nothing is left. */
async function cancelAndCheck(h: Harness, ringing: readonly string[]): Promise<void> {
  const legs = bLegs(h).filter((e) => ringing.includes(dest(e))).map(uuidOf);
  assert.equal(legs.length, ringing.length, 'the B legs ring');
  for (const uuid of legs) assert.equal(named(h, 'CHANNEL_PROGRESS', uuid).length, 1, `${uuid} rings`);
  assert.equal(await h.core.api('uuid_kill', A_LEG), '+OK\n');
  await h.clock.advance(10_000);
  for (const uuid of legs) {
    for (const name of ['CHANNEL_HANGUP', 'CHANNEL_HANGUP_COMPLETE']) {
      const ev = named(h, name, uuid);
      assert.equal(ev.length, 1, `${uuid} ${name}`);
      assert.equal(header(ev[0] ?? { headers: [] }, 'Hangup-Cause'), 'ORIGINATOR_CANCEL', `${uuid} ${name}`);
    }
    assert.deepEqual(named(h, 'CHANNEL_ANSWER', uuid), [], `${uuid} is not answered`);
  }
  const aDone = named(h, 'CHANNEL_HANGUP_COMPLETE', A_LEG);
  assert.equal(aDone.length, 1);
  assert.equal(header(aDone[0] ?? { headers: [] }, 'variable_originate_disposition'), 'ORIGINATOR_CANCEL');
  // The legs are hung up before the caller's hangup completes (the originate returns first).
  const aDoneAt = h.events.indexOf(aDone[0] as CoreEvent);
  for (const uuid of legs) assert.ok(h.events.indexOf(named(h, 'CHANNEL_HANGUP', uuid)[0] as CoreEvent) < aDoneAt, `${uuid} hung up first`);
  assert.equal(await h.core.api('show', 'channels'), '\n0 total.\n');
  await h.core.stop();
}

void it('bridge to two forks: the caller hangs up while both ring, both end ORIGINATOR_CANCEL', async () => {
  const h = await callerBridging('user/1001,user/1002', {
    'user/1001': { answer: 'answer', delayMs: 5000 },
    'user/1002': { answer: 'answer', delayMs: 5000 },
  });
  await h.clock.advance(1000);
  await cancelAndCheck(h, ['1001', '1002']);
});

void it('bridge to one leg: the caller hangs up while it rings, it ends ORIGINATOR_CANCEL', async () => {
  const h = await callerBridging('user/1001', { 'user/1001': { answer: 'answer', delayMs: 5000 } });
  await h.clock.advance(1000);
  await cancelAndCheck(h, ['1001']);
});

void it('bridge from the dialplan: the caller hangs up while the legs ring, they end ORIGINATOR_CANCEL', async () => {
  const behaviors: Behaviors = { 'user/1001': { answer: 'answer', delayMs: 5000 }, 'user/1002': { answer: 'no-answer' } };
  const h = await callerBridging('user/1001,user/1002', behaviors, true);
  await h.clock.advance(1000);
  await cancelAndCheck(h, ['1001', '1002']);
});

void it('failover: the caller hangs up while the second group rings, its legs end ORIGINATOR_CANCEL and no group follows', async () => {
  const h = await callerBridging('user/1001|user/1002,user/1003|user/1004', {
    'user/1001': { answer: 'busy', delayMs: 100 },
    'user/1002': { answer: 'answer', delayMs: 5000 },
    'user/1003': { answer: 'no-answer' },
    'user/1004': { answer: 'answer' },
  });
  await h.clock.advance(1000);
  assert.equal(header(named(h, 'CHANNEL_HANGUP_COMPLETE', uuidOf(bLegs(h)[0] as CoreEvent))[0] ?? { headers: [] }, 'Hangup-Cause'), 'USER_BUSY');
  await cancelAndCheck(h, ['1002', '1003']);
  assert.deepEqual(bLegs(h).map(dest), ['1001', '1002', '1003'], 'the third group is not dialled');
});

void it('the caller hangs up during originate_retry_sleep_ms: no retry is dialled', async () => {
  const h = await callerBridging('{originate_retries=3,originate_retry_sleep_ms=2000}user/1001', { 'user/1001': { answer: 'busy', delayMs: 100 } });
  await h.clock.advance(1000);
  assert.equal(bLegs(h).length, 1);
  assert.equal(await h.core.api('uuid_kill', A_LEG), '+OK\n');
  await h.clock.advance(10_000);
  assert.equal(bLegs(h).length, 1, 'no retry');
  // Seen in the retry sleep, not in the ring loop: no leg and no IDX_CANCEL, the cause is the caller's own.
  const aDone = named(h, 'CHANNEL_HANGUP_COMPLETE', A_LEG)[0] ?? { headers: [] };
  assert.equal(header(aDone, 'variable_originate_disposition'), 'NORMAL_CLEARING');
  assert.equal(header(aDone, 'variable_DIALSTATUS'), 'NORMAL_CLEARING');
  assert.equal(await h.core.api('show', 'channels'), '\n0 total.\n');
  await h.core.stop();
});

void it('api originate has no caller: its ringing leg answers as scripted', async () => {
  const h = harness();
  h.core.control.setEndpointBehavior('user/1001', { answer: 'answer', delayMs: 5000 });
  const reply = await apiAt(h, 'originate', 'user/1001 &park()', 6000);
  const leg = uuidOf(bLegs(h)[0] as CoreEvent);
  assert.equal(reply, `+OK ${leg}\n`);
  assert.equal(named(h, 'CHANNEL_ANSWER', leg).length, 1);
  await h.core.stop();
});
