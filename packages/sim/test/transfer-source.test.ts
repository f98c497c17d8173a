/**
 * transfer_source names the caller profile, not the channel: switch_ivr_session_transfer writes
 * `<epoch>:<new profile's uuid_str>:bl_xfer:<ext>/<context>/<dialplan>`, switch_ivr_uuid_bridge
 * `<epoch>:<stepped profile's uuid_str>:uuid_br:<other uuid>` — uuid_str being a fresh uuid each
 * profile copy gets (switch_caller_profile_dup). Each is pushed onto transfer_history too.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { apiWirePerTest, extension, on, type JsonEvent } from './api-wire.js';

const A = 'b7a0c0c0-0000-4000-8000-0000000002a1';
const C = 'b7a0c0c0-0000-4000-8000-0000000002c1';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

const open = apiWirePerTest({
  dialplan: { default: [extension('7001', [{ application: 'answer' }, { application: 'park' }])] },
});

/** The profile uuid in a transfer source, after checking its form. */
function profileUuid(e: JsonEvent, kind: string, rest: string): string {
  const source = e['Caller-Transfer-Source'] ?? '';
  if (e['variable_uuid'] !== undefined) assert.equal(e['variable_transfer_source'], source);
  const m = new RegExp(`^\\d+:(${UUID}):${kind}:(.*)$`).exec(source);
  assert.ok(m, `transfer source ${source}`);
  assert.equal(m[2], rest);
  return m[1] ?? '';
}

void it('uuid_transfer: bl_xfer with a new profile uuid each time, never the channel uuid', async () => {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${A}}user/2000 &park()`), `+OK ${A}\n`);
  assert.equal(await w.api(`uuid_transfer ${A} 7001`), '+OK\n');
  const parkedWith = (index: string) => (e: JsonEvent): boolean => on(A, 'CHANNEL_PARK')(e) && e['Caller-Profile-Index'] === index;
  const first = await w.until(parkedWith('2'), 'A in 7001');
  assert.equal(await w.api(`uuid_transfer ${A} 7001 XML default`), '+OK\n');
  const second = await w.until(parkedWith('3'), 'A in 7001 again');
  const [p1, p2] = [profileUuid(first, 'bl_xfer', '7001/default/XML'), profileUuid(second, 'bl_xfer', '7001/default/XML')];
  assert.notEqual(p1, A);
  assert.notEqual(p2, A);
  assert.notEqual(p1, p2, 'each transfer copies the profile');
  // json gives an ARRAY:: variable as a list.
  assert.deepEqual(second['variable_transfer_history'], [first['Caller-Transfer-Source'], second['Caller-Transfer-Source']]);
});

void it('uuid_bridge: uuid_br and the other leg, on both legs, before the bridge', async () => {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${A}}user/2000 &park()`), `+OK ${A}\n`);
  assert.equal(await w.api(`originate {origination_uuid=${C}}user/3000 &park()`), `+OK ${C}\n`);
  assert.equal(await w.api(`uuid_bridge ${A} ${C}`), `+OK ${C}\n`);
  const bridge = await w.until(on(A, 'CHANNEL_BRIDGE'));
  const pa = profileUuid(bridge, 'uuid_br', C);
  assert.notEqual(pa, A);
  assert.equal(bridge['Caller-Profile-Index'], '2', 'switch_channel_step_caller_profile');
  const stateC = w.seen.find((e) => on(C, 'CHANNEL_STATE')(e) && e['Channel-State'] === 'CS_EXCHANGE_MEDIA');
  assert.ok(stateC !== undefined);
  assert.notEqual(profileUuid(stateC, 'uuid_br', A), pa);
  assert.equal(stateC['Caller-Profile-Index'], '2');
});
