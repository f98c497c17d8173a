/**
 * `Other-Leg-*` come from a copy of the other leg's caller profile, made when the legs were joined
 * (switch_caller_profile_dup via switch_channel_set_originator_caller_profile /
 * switch_channel_set_originatee_caller_profile), not from the other channel as it is now: no
 * Profile-Index nor Transfer-Source (the copy leaves them out), Logical-Direction `inbound` (not
 * copied either), the originator's copy with every time 0 (a fresh timetable), the originatee's
 * with the times the other leg had at the copy (old_times) — so they do not move when it hangs up.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { apiWirePerTest, bridgingExtension, on, originateBridged, type JsonEvent } from './api-wire.js';

const A = 'b7a0c0c0-0000-4000-8000-0000000001a1';
const B = 'b7a0c0c0-0000-4000-8000-0000000001b1';
const C = 'b7a0c0c0-0000-4000-8000-0000000001c1';

const open = apiWirePerTest({
  dialplan: {
    default: [
      bridgingExtension('9100', B),
    ],
  },
});

const TIMES = ['Profile-Created-Time', 'Channel-Created-Time', 'Channel-Answered-Time', 'Channel-Progress-Time', 'Channel-Progress-Media-Time',
  'Channel-Hangup-Time', 'Channel-Transfer-Time', 'Channel-Bridged-Time'];
const times = (e: JsonEvent, prefix: string): string[] => TIMES.map((t) => e[`${prefix}-${t}`] ?? '-');

void it('the dialled leg shows a copy of the caller profile with every time 0, no index, logical direction inbound', async () => {
  const w = await open();
  const { bridge } = await originateBridged(w, A, '9100');
  // CHANNEL_UUID (origination_uuid) comes before switch_core_session_outgoing_channel sets the copy.
  for (const e of w.seen.filter((x) => x['Unique-ID'] === B && x['Event-Name'] !== 'CHANNEL_UUID')) {
    assert.equal(e['Other-Type'], 'originator');
    assert.equal(e['Other-Leg-Unique-ID'], A);
    assert.deepEqual(times(e, 'Other-Leg'), TIMES.map(() => '0'), `${e['Event-Name'] ?? ''}: a fresh timetable`);
    assert.deepEqual([e['Other-Leg-Direction'], e['Other-Leg-Logical-Direction'], e['Other-Leg-Profile-Index']], ['outbound', 'inbound', undefined]);
  }
  assert.equal(bridge['Other-Type'], 'originatee');
  assert.equal(bridge['Other-Leg-Profile-Index'], undefined);
  assert.equal(bridge['Other-Leg-Logical-Direction'], 'inbound');
});

void it('the bridging leg keeps the times its copy had: the other leg hanging up does not change them', async () => {
  const w = await open();
  const { bridge } = await originateBridged(w, A, '9100');
  const [created, answered, , , , hungup, , bridged] = times(bridge, 'Other-Leg');
  assert.notEqual(answered, '0', 'copied once B had answered');
  assert.equal(hungup, '0');
  assert.equal(bridged, '0', 'copied before the bridge');
  assert.equal(await w.api(`uuid_kill ${B}`), '+OK\n');
  const unbridge = w.seen.find(on(A, 'CHANNEL_UNBRIDGE')) ?? (await w.until(on(A, 'CHANNEL_UNBRIDGE')));
  const park = await w.until(on(A, 'CHANNEL_PARK'));
  for (const e of [unbridge, park]) {
    assert.equal(e['Other-Leg-Unique-ID'], B);
    assert.deepEqual(times(e, 'Other-Leg'), times(bridge, 'Other-Leg'), `${e['Event-Name'] ?? ''}: the copy, not B now`);
    assert.equal(e['Other-Leg-Channel-Created-Time'], created);
  }
});

void it('uuid_bridge copies each profile into the other leg at once; a later change of the other leg is not seen', async () => {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${A}}user/2000 &park()`), `+OK ${A}\n`);
  assert.equal(await w.api(`originate {origination_uuid=${C}}user/3000 &park()`), `+OK ${C}\n`);
  assert.equal(await w.api(`uuid_bridge ${A} ${C}`), `+OK ${C}\n`);
  const bridge = await w.until(on(A, 'CHANNEL_BRIDGE'));
  assert.equal(bridge['Other-Type'], 'originatee');
  assert.equal(bridge['Other-Leg-Channel-Bridged-Time'], '0', 'copied before the bridge');
  const before = w.seen.length;
  assert.equal(await w.api(`uuid_kill ${C}`), '+OK\n');
  const hangupC = await w.until(on(C, 'CHANNEL_HANGUP'));
  assert.equal(hangupC['Other-Type'], 'originator');
  assert.deepEqual(times(hangupC, 'Other-Leg'), TIMES.map(() => '0'));
  await w.until(on(A, 'CHANNEL_HANGUP'), 'A, its extension done, hangs up');
  const afterA = w.seen.slice(before).filter((e) => e['Unique-ID'] === A && e['Other-Leg-Unique-ID'] === C);
  assert.ok(afterA.length > 0);
  for (const e of afterA) assert.equal(e['Other-Leg-Channel-Hangup-Time'], '0', `${e['Event-Name'] ?? ''}: C's hangup is not in A's copy`);
});
