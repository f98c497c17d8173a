/**
 * A transfer gives the channel a new caller profile (switch_ivr_session_transfer clones it and
 * switch_channel_set_caller_profile takes the clone, which has no originator nor originatee
 * profile): from then on its events carry no `Other-Type` nor `Other-Leg-*`, until a new bridge
 * gives it another leg. The leg left behind keeps its profile, and its `Other-Leg-*`.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { apiWirePerTest, bridgingExtension, extension, on, originateBridged, type ApiWire, type JsonEvent } from './api-wire.js';

const A = 'b7a0c0c0-0000-4000-8000-0000000000a1';
const B = 'b7a0c0c0-0000-4000-8000-0000000000b1';
const C = 'b7a0c0c0-0000-4000-8000-0000000000c1';

const open = apiWirePerTest({
  dialplan: {
    default: [
      extension('7003', [{ application: 'answer' }, { application: 'echo' }]),
      bridgingExtension('9100', B),
    ],
  },
});

async function bridged(w: ApiWire): Promise<number> {
  const { bridge, from } = await originateBridged(w, A, '9100');
  assert.equal(bridge['Other-Leg-Unique-ID'], B, 'bridged: the other leg is named');
  return from;
}

const otherLeg = (e: JsonEvent): string => `${e['Event-Name'] ?? ''} ${e['Other-Type'] ?? '-'} ${e['Other-Leg-Unique-ID'] ?? '-'}`;
const eventsOf = (w: ApiWire, uuid: string, from: number): JsonEvent[] => w.seen.slice(from).filter((e) => e['Unique-ID'] === uuid);

void it('uuid_transfer of the dialled leg: its later events name no other leg; the bridging leg still names it', async () => {
  const w = await open();
  const from = await bridged(w);
  assert.equal(await w.api(`uuid_transfer ${B} 7003`), '+OK\n');
  await w.until(on(B, 'CHANNEL_EXECUTE', 'echo'), 'B runs 7003');
  const park = w.seen.find(on(A, 'CHANNEL_PARK')) ?? (await w.until(on(A, 'CHANNEL_PARK'), 'A parks'));
  const moved = eventsOf(w, B, from).filter((e) => e['Event-Name'] !== 'API');
  assert.ok(moved.length >= 4);
  for (const e of moved) assert.equal(otherLeg(e), `${e['Event-Name'] ?? ''} - -`);
  assert.equal(otherLeg(park), `CHANNEL_PARK originatee ${B}`);
});

void it('uuid_transfer of the bridging leg: its CHANNEL_UNBRIDGE and later events name no other leg; the hung-up leg still names it', async () => {
  const w = await open();
  const from = await bridged(w);
  assert.equal(await w.api(`uuid_transfer ${A} 7003`), '+OK\n');
  await w.until(on(A, 'CHANNEL_EXECUTE', 'echo'), 'A runs 7003');
  const hangup = w.seen.find(on(B, 'CHANNEL_HANGUP')) ?? (await w.until(on(B, 'CHANNEL_HANGUP'), 'B hung up'));
  const moved = eventsOf(w, A, from);
  assert.equal(moved[0]?.['Event-Name'], 'CHANNEL_UNBRIDGE');
  for (const e of moved) assert.equal(otherLeg(e), `${e['Event-Name'] ?? ''} - -`);
  assert.equal(otherLeg(hangup), `CHANNEL_HANGUP originator ${A}`);
});

void it('the transfer application on the dialled leg: its CHANNEL_EXECUTE_COMPLETE already shows the new profile', async () => {
  const w = await open();
  await bridged(w);
  assert.equal(await w.command(`sendmsg ${B}\ncall-command: execute\nexecute-app-name: transfer\nexecute-app-arg: 7003`), '+OK');
  const start = await w.until(on(B, 'CHANNEL_EXECUTE', 'transfer'));
  assert.equal(otherLeg(start), `CHANNEL_EXECUTE originator ${A}`);
  const done = await w.until(on(B, 'CHANNEL_EXECUTE_COMPLETE', 'transfer'));
  assert.equal(otherLeg(done), 'CHANNEL_EXECUTE_COMPLETE - -');
  assert.deepEqual([done['Caller-Destination-Number'], done['Caller-RDNIS'], done['Caller-Profile-Index']], ['7003', '1000', '2']);
  assert.match(done['variable_transfer_source'] ?? '', /:bl_xfer:7003\/default\/XML$/);
});

void it('a new bridge after the transfer names the new other leg again', async () => {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${C}}user/3000 &park()`), `+OK ${C}\n`);
  await bridged(w);
  assert.equal(await w.api(`uuid_transfer ${B} 7003`), '+OK\n');
  await w.until(on(B, 'CHANNEL_EXECUTE', 'echo'), 'B runs 7003');
  assert.equal(await w.api(`uuid_bridge ${B} ${C}`), `+OK ${C}\n`);
  const bridge = await w.until((e) => e['Event-Name'] === 'CHANNEL_BRIDGE', 'B bridged to C');
  assert.equal(otherLeg(bridge), `CHANNEL_BRIDGE originatee ${C}`);
});
