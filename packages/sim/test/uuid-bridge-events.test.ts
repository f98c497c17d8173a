/**
 * switch_ivr_uuid_bridge only sets flags and states and returns: CF_TRANSFER on both legs, each
 * set to CS_HIBERNATE. A bridge either leg is in ends afterwards, when its loop sees the flag
 * (CHANNEL_UNBRIDGE after the uuid_bridge API event); each leg's thread then goes CS_HIBERNATE →
 * CS_RESET → CS_SOFT_EXECUTE (uuid_bridge_on_hibernate, uuid_bridge_on_reset), the first one fires
 * CHANNEL_EXECUTE `uuid_bridge` for both (uuid_bridge_on_soft_execute) and bridges from
 * CS_SOFT_EXECUTE: only the second enters CS_EXCHANGE_MEDIA.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { apiWirePerTest, bridgingExtension, named, on, originateBridged, type ApiWire, type JsonEvent } from './api-wire.js';

const A = 'b7a0c0c0-0000-4000-8000-0000000003a1';
const B = 'b7a0c0c0-0000-4000-8000-0000000003b1';
const C = 'b7a0c0c0-0000-4000-8000-0000000003c1';

const open = apiWirePerTest({
  dialplan: {
    default: [
      bridgingExtension('9100', B),
    ],
  },
});

const TRACKED = new Set(['CHANNEL_BRIDGE', 'CHANNEL_UNBRIDGE', 'CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_STATE', 'CHANNEL_PARK', 'CHANNEL_UNPARK', 'CHANNEL_HANGUP']);
const label = (e: JsonEvent): string => {
  if (e['Event-Name'] === 'CHANNEL_STATE') return `STATE ${e['Channel-State'] ?? ''}`;
  if (e['Application'] === 'uuid_bridge') return `CHANNEL_EXECUTE:uuid_bridge ${e['Application-Data'] ?? ''}`;
  return named(e);
};
const trail = (w: ApiWire, uuid: string, from: number): string[] =>
  w.seen.slice(from).filter((e) => e['Unique-ID'] === uuid && TRACKED.has(e['Event-Name'] ?? '')).map(label);
const parked = async (w: ApiWire, uuid: string): Promise<unknown> => w.seen.find(on(uuid, 'CHANNEL_PARK')) ?? w.until(on(uuid, 'CHANNEL_PARK'));
const JOINING = ['STATE CS_HIBERNATE', 'STATE CS_RESET', 'STATE CS_SOFT_EXECUTE'];

void it('uuid_bridge of a bridged leg: its bridge ends after the command, then both legs go through hibernate, reset and soft execute', async () => {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${C}}user/3000 &park()`), `+OK ${C}\n`);
  await originateBridged(w, A, '9100');
  const from = w.seen.length;
  assert.equal(await w.api(`uuid_bridge ${B} ${C}`), `+OK ${C}\n`);
  await w.until(on(B, 'CHANNEL_BRIDGE'), 'B bridged to C');
  const events = w.seen.slice(from);
  const api = events.findIndex((e) => e['Event-Name'] === 'API' && e['API-Command'] === 'uuid_bridge');
  const unbridge = events.findIndex(on(A, 'CHANNEL_UNBRIDGE'));
  assert.ok(api >= 0 && unbridge > api, `CHANNEL_UNBRIDGE (${unbridge}) after the API event (${api})`);
  assert.deepEqual(trail(w, B, from), [...JOINING, `CHANNEL_EXECUTE:uuid_bridge ${C}`, 'CHANNEL_BRIDGE']);
  assert.deepEqual(trail(w, C, from), ['CHANNEL_UNPARK', 'CHANNEL_EXECUTE_COMPLETE:park', ...JOINING, `CHANNEL_EXECUTE:uuid_bridge ${B}`, 'STATE CS_EXCHANGE_MEDIA']);
  const bridge = w.seen.find(on(B, 'CHANNEL_BRIDGE'));
  assert.deepEqual([bridge?.['Channel-State'], bridge?.['Other-Leg-Unique-ID'], bridge?.['Other-Type']], ['CS_SOFT_EXECUTE', C, 'originatee']);
});

void it('uuid_bridge of two parked legs: a sendmsg to the first, bridging from CS_SOFT_EXECUTE, still runs', async () => {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${A}}user/2000 &park()`), `+OK ${A}\n`);
  assert.equal(await w.api(`originate {origination_uuid=${C}}user/3000 &park()`), `+OK ${C}\n`);
  await parked(w, C);
  await parked(w, A);
  const from = w.seen.length;
  assert.equal(await w.api(`uuid_bridge ${A} ${C}`), `+OK ${C}\n`);
  await w.until(on(A, 'CHANNEL_BRIDGE'));
  assert.deepEqual(trail(w, A, from), ['CHANNEL_UNPARK', 'CHANNEL_EXECUTE_COMPLETE:park', ...JOINING, `CHANNEL_EXECUTE:uuid_bridge ${C}`, 'CHANNEL_BRIDGE']);
  assert.equal(await w.command(`sendmsg ${A}\ncall-command: execute\nexecute-app-name: log\nexecute-app-arg: INFO bridged`), '+OK');
  const done = await w.until(on(A, 'CHANNEL_EXECUTE_COMPLETE', 'log'));
  assert.equal(done['Channel-State'], 'CS_SOFT_EXECUTE');
});
