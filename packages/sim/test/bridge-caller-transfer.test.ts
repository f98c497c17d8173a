/**
 * A `bridge` whose caller is transferred while its legs still ring (FreeSWITCH 1.10.12): the
 * transfer raises CF_TRANSFER, so switch_channel_ready is false for the caller and
 * switch_ivr_originate's ring loop leaves with IDX_CANCEL — every leg still ringing is hung up
 * ORIGINATOR_CANCEL, the originate fails with that cause (originate_disposition, DIALSTATUS=CANCEL),
 * mod_dptools' bridge sets originate_failed_cause and returns, and switch_channel_handle_cause does
 * not hang up a channel being transferred. The caller goes on in the extension it was sent to.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import type { CoreEvent } from '../src/core/index.js';
import { apiAt, harness, header, type Harness } from './core-capture.js';

const A_LEG = 'cccccccc-0000-4000-8000-0000000000b1';
const dest = (e: CoreEvent): string => header(e, 'Caller-Destination-Number') ?? '';
const uuidOf = (e: CoreEvent): string => header(e, 'Unique-ID') ?? '';
const named = (h: Harness, name: string, uuid: string): CoreEvent[] => h.events.filter((e) => e.name === name && uuidOf(e) === uuid);
const bLegs = (h: Harness): CoreEvent[] => h.events.filter((e) => e.name === 'CHANNEL_CREATE' && uuidOf(e) !== A_LEG);
const getvar = (h: Harness, name: string): Promise<string> => h.core.api('uuid_getvar', `${A_LEG} ${name}`);

type Behaviors = Record<string, Parameters<Harness['core']['control']['setEndpointBehavior']>[1]>;

/** The caller (answers at once) runs extension 9100: `set`s, `bridge <dial>`, `park`; 9200 parks. */
async function callerBridging(dial: string, behaviors: Behaviors, sets: readonly string[] = []): Promise<Harness> {
  const actions = [...sets.map((data) => ({ application: 'set', data })), { application: 'bridge', data: dial }, { application: 'park' }];
  const h = harness({
    dialplan: {
      default: [
        { name: '9100', conditions: [{ field: 'destination_number', expression: '^9100$', actions }] },
        { name: '9200', conditions: [{ field: 'destination_number', expression: '^9200$', actions: [{ application: 'park' }] }] },
      ],
    },
  });
  h.core.control.setEndpointBehavior('user/2000', { answer: 'answer' });
  for (const [endpoint, b] of Object.entries(behaviors)) h.core.control.setEndpointBehavior(endpoint, b);
  assert.equal(await apiAt(h, 'originate', `{origination_uuid=${A_LEG}}user/2000 9100`), `+OK ${A_LEG}\n`);
  return h;
}

/** Transfers the caller to 9200 while `ringing` ring, then lets the scripted answers fall due. */
async function transferAndCheck(h: Harness, ringing: readonly string[]): Promise<void> {
  const legs = bLegs(h).filter((e) => ringing.includes(dest(e))).map(uuidOf);
  assert.equal(legs.length, ringing.length, 'the B legs ring');
  assert.equal(await h.core.api('uuid_transfer', `${A_LEG} 9200`), '+OK\n');
  await h.clock.advance(10_000);
  for (const uuid of legs) {
    for (const name of ['CHANNEL_HANGUP', 'CHANNEL_HANGUP_COMPLETE']) {
      const ev = named(h, name, uuid);
      assert.equal(ev.length, 1, `${uuid} ${name}`);
      assert.equal(header(ev[0] ?? { headers: [] }, 'Hangup-Cause'), 'ORIGINATOR_CANCEL', `${uuid} ${name}`);
    }
    assert.deepEqual(named(h, 'CHANNEL_ANSWER', uuid), [], `${uuid} is not answered`);
  }
  // The bridge returns once the legs are down, and the caller routes to 9200 (not 9100's park).
  const bridgeDone = named(h, 'CHANNEL_EXECUTE_COMPLETE', A_LEG).filter((e) => header(e, 'Application') === 'bridge');
  assert.equal(bridgeDone.length, 1, 'the bridge returns');
  const doneAt = h.events.indexOf(bridgeDone[0] as CoreEvent);
  for (const uuid of legs) assert.ok(h.events.indexOf(named(h, 'CHANNEL_HANGUP', uuid)[0] as CoreEvent) < doneAt, `${uuid} hung up first`);
  const parks = named(h, 'CHANNEL_EXECUTE', A_LEG).filter((e) => header(e, 'Application') === 'park');
  assert.deepEqual(parks.map(dest), ['9200'], 'the caller parks in 9200 only');
  assert.deepEqual(named(h, 'CHANNEL_HANGUP', A_LEG), [], 'the caller is not hung up');
  assert.equal(await getvar(h, 'originate_disposition'), 'ORIGINATOR_CANCEL');
  assert.equal(await getvar(h, 'DIALSTATUS'), 'CANCEL');
  assert.equal(await getvar(h, 'originate_failed_cause'), 'ORIGINATOR_CANCEL');
  assert.equal(await h.core.api('show', 'channels count'), '\n1 total.\n');
  await h.core.stop();
}

void it('bridge to two forks: the caller is transferred while both ring, both end ORIGINATOR_CANCEL', async () => {
  const h = await callerBridging('user/1001,user/1002', {
    'user/1001': { answer: 'answer', delayMs: 5000 },
    'user/1002': { answer: 'no-answer' },
  });
  await h.clock.advance(1000);
  await transferAndCheck(h, ['1001', '1002']);
});

void it('failover: the caller is transferred while the second group rings, no group follows', async () => {
  const h = await callerBridging('user/1001|user/1002|user/1003', {
    'user/1001': { answer: 'busy', delayMs: 100 },
    'user/1002': { answer: 'answer', delayMs: 5000 },
    'user/1003': { answer: 'answer' },
  });
  await h.clock.advance(1000);
  await transferAndCheck(h, ['1002']);
  assert.deepEqual(bLegs(h).map(dest), ['1001', '1002'], 'the third group is not dialled');
});

void it('continue_on_fail=false: the transferred caller is not hung up with ORIGINATOR_CANCEL', async () => {
  const h = await callerBridging('user/1001', { 'user/1001': { answer: 'answer', delayMs: 5000 } }, ['continue_on_fail=false']);
  await h.clock.advance(1000);
  await transferAndCheck(h, ['1001']);
});

void it('transferred during originate_retry_sleep_ms: no retry is dialled, the originate is cancelled', async () => {
  const h = await callerBridging('{originate_retries=3,originate_retry_sleep_ms=2000}user/1001', { 'user/1001': { answer: 'busy', delayMs: 100 } });
  await h.clock.advance(1000);
  assert.equal(bLegs(h).length, 1);
  assert.equal(await h.core.api('uuid_transfer', `${A_LEG} 9200`), '+OK\n');
  await h.clock.advance(10_000);
  assert.equal(bLegs(h).length, 1, 'no retry');
  const parks = named(h, 'CHANNEL_EXECUTE', A_LEG).filter((e) => header(e, 'Application') === 'park');
  assert.deepEqual(parks.map(dest), ['9200']);
  assert.equal(await getvar(h, 'originate_disposition'), 'ORIGINATOR_CANCEL');
  assert.equal(await getvar(h, 'DIALSTATUS'), 'CANCEL');
  assert.equal(await getvar(h, 'originate_failed_cause'), 'ORIGINATOR_CANCEL');
  await h.core.stop();
});
