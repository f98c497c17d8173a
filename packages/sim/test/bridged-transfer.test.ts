/**
 * A transfer or a park of a bridged leg breaks the bridge once what moved it has returned, as CF_TRANSFER ends both
 * legs' audio_bridge_thread loops in FreeSWITCH: one CHANNEL_UNBRIDGE from the bridging leg, the
 * moved leg goes where it was sent, and the other one follows its after-bridge rules (or, with
 * `-both`, goes along). uuid_bridge onto a bridged leg breaks its bridge first the same way.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { apiWirePerTest, extension, named, on, originateBridged, type ApiWire, type JsonEvent } from './api-wire.js';

const A = 'b7a0c0c0-0000-4000-8000-00000000000a';
const B = 'b7a0c0c0-0000-4000-8000-00000000000b';
const C = 'b7a0c0c0-0000-4000-8000-00000000000c';

const bridgeThen = (target: string) => [
  { application: 'answer' }, { application: 'bridge', data: target }, { application: 'log', data: 'INFO after the bridge' }, { application: 'park' },
];

const open = apiWirePerTest({
  dialplan: {
    default: [
      extension('7003', [{ application: 'answer' }, { application: 'echo' }]),
      extension('9100', bridgeThen(`{origination_uuid=${B}}user/1000`)),
      extension('9102', bridgeThen(`{origination_uuid=${B},park_after_bridge=true}user/1000`)),
    ],
  },
});

/** A (user/2000) runs `ext`, whose bridge application dials B: CHANNEL_BRIDGE A → B. Returns where the events go on. */
async function bridged(w: ApiWire, ext = '9100'): Promise<number> {
  const { bridge, from } = await originateBridged(w, A, ext);
  assert.deepEqual([bridge['Bridge-A-Unique-ID'], bridge['Bridge-B-Unique-ID']], [A, B]);
  return from;
}

const TRACKED = new Set(['CHANNEL_BRIDGE', 'CHANNEL_UNBRIDGE', 'CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_STATE', 'CHANNEL_PARK', 'CHANNEL_UNPARK', 'CHANNEL_HANGUP']);

function label(e: JsonEvent): string {
  if (e['Event-Name'] === 'CHANNEL_STATE') return `STATE ${e['Channel-State'] ?? ''}`;
  if (e['Event-Name'] === 'CHANNEL_HANGUP') return `CHANNEL_HANGUP:${e['Hangup-Cause'] ?? ''}`;
  return named(e);
}

/** `uuid`'s tracked events seen from index `from` on. */
function trail(w: ApiWire, uuid: string, from: number): string[] {
  return w.seen.slice(from).filter((e) => e['Unique-ID'] === uuid && TRACKED.has(e['Event-Name'] ?? '')).map(label);
}

/** An event already read, or the next one that matches. */
async function seenOrNext(w: ApiWire, test: (e: JsonEvent) => boolean, what: string): Promise<JsonEvent> {
  return w.seen.find(test) ?? (await w.until(test, what));
}

const unbridges = (w: ApiWire, from: number): JsonEvent[] => w.seen.slice(from).filter((e) => e['Event-Name'] === 'CHANNEL_UNBRIDGE');

const ROUTED_TO_7003 = ['STATE CS_ROUTING', 'STATE CS_EXECUTE', 'CHANNEL_EXECUTE:answer', 'CHANNEL_EXECUTE_COMPLETE:answer', 'CHANNEL_EXECUTE:echo'];
const BRIDGE_RETURNS = ['CHANNEL_UNBRIDGE', 'CHANNEL_EXECUTE_COMPLETE:bridge', 'CHANNEL_EXECUTE:log', 'CHANNEL_EXECUTE_COMPLETE:log', 'CHANNEL_EXECUTE:park', 'CHANNEL_PARK'];

/** Kills A; once A is destroyed, B is still up and nothing unbridged again. */
async function killingAleavesB(w: ApiWire): Promise<void> {
  const from = w.seen.length;
  assert.equal(await w.api(`uuid_kill ${A}`), '+OK\n');
  await w.until(on(A, 'CHANNEL_DESTROY'), 'A destroyed');
  assert.deepEqual(unbridges(w, from), [], 'no second CHANNEL_UNBRIDGE');
  assert.deepEqual(trail(w, B, from), [], 'B untouched');
  assert.equal(await w.api(`uuid_exists ${B}`), 'true');
}

void it('uuid_transfer of the bridging leg: CHANNEL_UNBRIDGE, it goes to the extension, the other leg is hung up NORMAL_CLEARING', async () => {
  const w = await open();
  const from = await bridged(w);
  assert.equal(await w.api(`uuid_transfer ${A} 7003`), '+OK\n');
  await w.until(on(A, 'CHANNEL_EXECUTE', 'echo'), 'A runs 7003');
  await seenOrNext(w, on(B, 'CHANNEL_HANGUP'), 'B hung up');
  assert.deepEqual(trail(w, A, from), ['CHANNEL_UNBRIDGE', 'CHANNEL_EXECUTE_COMPLETE:bridge', ...ROUTED_TO_7003]);
  assert.equal(trail(w, B, from)[0], 'CHANNEL_HANGUP:NORMAL_CLEARING', 'hung up first thing');
  const [unbridge, ...more] = unbridges(w, from);
  assert.equal(more.length, 0, 'one CHANNEL_UNBRIDGE');
  assert.deepEqual([unbridge?.['Bridge-A-Unique-ID'], unbridge?.['Bridge-B-Unique-ID']], [A, B]);
});

void it('uuid_transfer of the other leg: it goes to the extension, the bridging leg\'s bridge returns and its dialplan goes on; killing it later leaves the moved leg up', async () => {
  const w = await open();
  const from = await bridged(w);
  assert.equal(await w.api(`uuid_transfer ${B} 7003`), '+OK\n');
  await w.until(on(B, 'CHANNEL_EXECUTE', 'echo'), 'B runs 7003');
  await seenOrNext(w, on(A, 'CHANNEL_PARK'), 'A parks after its bridge');
  assert.deepEqual(trail(w, A, from), BRIDGE_RETURNS);
  assert.deepEqual(trail(w, B, from), ROUTED_TO_7003);
  assert.equal(await w.api(`uuid_getvar ${B} signal_bond`), '_undef_', 'switch_ivr_session_transfer clears it');
  await killingAleavesB(w);
});

void it('uuid_transfer of the bridging leg, the other one with park_after_bridge: that one parks', async () => {
  const w = await open();
  const from = await bridged(w, '9102');
  assert.equal(await w.api(`uuid_transfer ${A} 7003`), '+OK\n');
  await w.until(on(A, 'CHANNEL_EXECUTE', 'echo'), 'A runs 7003');
  await seenOrNext(w, on(B, 'CHANNEL_PARK'), 'B parks');
  assert.deepEqual(trail(w, B, from), ['STATE CS_PARK', 'CHANNEL_PARK']);
  assert.equal(await w.api(`uuid_exists ${B}`), 'true');
});

void it('uuid_transfer -both and -bleg: one CHANNEL_UNBRIDGE, no leg hung up; the bridge is gone for a later hangup', async () => {
  const w = await open();
  let from = await bridged(w);
  assert.equal(await w.api(`uuid_transfer ${A} -both 7003`), '+OK\n');
  await seenOrNext(w, on(A, 'CHANNEL_EXECUTE', 'echo'), 'A runs 7003');
  await seenOrNext(w, on(B, 'CHANNEL_EXECUTE', 'echo'), 'B runs 7003');
  assert.equal(unbridges(w, from).length, 1);
  assert.deepEqual(trail(w, A, from), ['CHANNEL_UNBRIDGE', 'CHANNEL_EXECUTE_COMPLETE:bridge', ...ROUTED_TO_7003]);
  assert.deepEqual(trail(w, B, from), ROUTED_TO_7003);
  await killingAleavesB(w);
  assert.equal(await w.api(`uuid_kill ${B}`), '+OK\n');
  await w.until(on(B, 'CHANNEL_DESTROY'), 'B destroyed');

  from = await bridged(w);
  assert.equal(await w.api(`uuid_transfer ${A} -bleg 7003`), '+OK\n');
  await w.until(on(B, 'CHANNEL_EXECUTE', 'echo'), 'B runs 7003');
  await seenOrNext(w, on(A, 'CHANNEL_PARK'), 'A parks after its bridge');
  assert.deepEqual(trail(w, A, from), BRIDGE_RETURNS);
  await killingAleavesB(w);
});

void it('the transfer application run by sendmsg on the bridged leg: it leaves the bridge for the extension', async () => {
  const w = await open();
  const from = await bridged(w);
  assert.equal(await w.command(`sendmsg ${B}\ncall-command: execute\nexecute-app-name: transfer\nexecute-app-arg: 7003`), '+OK');
  await w.until(on(B, 'CHANNEL_EXECUTE', 'echo'), 'B runs 7003');
  await seenOrNext(w, on(A, 'CHANNEL_PARK'), 'A parks after its bridge');
  assert.deepEqual(trail(w, A, from), BRIDGE_RETURNS);
  assert.deepEqual(trail(w, B, from), ['CHANNEL_EXECUTE:transfer', 'CHANNEL_EXECUTE_COMPLETE:transfer', ...ROUTED_TO_7003]);
  await killingAleavesB(w);
});

void it('the transfer application with -bleg: the bridged leg goes to the extension, the one running it follows its after-bridge rules', async () => {
  const w = await open();
  const from = await bridged(w);
  assert.equal(await w.command(`sendmsg ${A}\ncall-command: execute\nexecute-app-name: transfer\nexecute-app-arg: -bleg 7003`), '+OK');
  await w.until(on(B, 'CHANNEL_EXECUTE', 'echo'), 'B runs 7003');
  await seenOrNext(w, on(A, 'CHANNEL_PARK'), 'A parks after its bridge');
  assert.equal(unbridges(w, from).length, 1);
  assert.deepEqual(trail(w, B, from), ROUTED_TO_7003);
  await killingAleavesB(w);
});

void it('the transfer application with -both: both legs go to the extension, neither hung up', async () => {
  const w = await open();
  const from = await bridged(w);
  assert.equal(await w.command(`sendmsg ${A}\ncall-command: execute\nexecute-app-name: transfer\nexecute-app-arg: -both 7003`), '+OK');
  await seenOrNext(w, on(A, 'CHANNEL_EXECUTE', 'echo'), 'A runs 7003');
  await seenOrNext(w, on(B, 'CHANNEL_EXECUTE', 'echo'), 'B runs 7003');
  assert.equal(unbridges(w, from).length, 1);
  assert.deepEqual(trail(w, B, from), ROUTED_TO_7003);
  await killingAleavesB(w);
});

void it('export after a transfer ended the bridge: the former partner gets nothing', async () => {
  const w = await open();
  await bridged(w);
  assert.equal(await w.api(`uuid_transfer ${B} 7003`), '+OK\n');
  await seenOrNext(w, on(A, 'CHANNEL_PARK'), 'A parks after its bridge');
  assert.equal(await w.command(`sendmsg ${A}\ncall-command: execute\nexecute-app-name: export\nexecute-app-arg: left_behind=yes`), '+OK');
  await w.until(on(A, 'CHANNEL_EXECUTE_COMPLETE', 'export'), 'export ran');
  assert.equal(await w.api(`uuid_getvar ${A} left_behind`), 'yes');
  assert.equal(await w.api(`uuid_getvar ${B} left_behind`), '_undef_');
});

void it('uuid_park of a bridged leg: CHANNEL_UNBRIDGE, it parks, the other leg is hung up', async () => {
  const w = await open();
  const from = await bridged(w);
  assert.equal(await w.api(`uuid_park ${A}`), '+OK\n');
  await w.until(on(A, 'CHANNEL_PARK'), 'A parks');
  await seenOrNext(w, on(B, 'CHANNEL_HANGUP'), 'B hung up');
  assert.deepEqual(trail(w, A, from), ['CHANNEL_UNBRIDGE', 'CHANNEL_EXECUTE_COMPLETE:bridge', 'STATE CS_PARK', 'CHANNEL_PARK']);
  assert.equal(trail(w, B, from)[0], 'CHANNEL_HANGUP:NORMAL_CLEARING', 'hung up first thing');
});

void it('uuid_bridge onto a bridged leg breaks its bridge first: the old partner follows its after-bridge rules', async () => {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${C}}user/3000 &park()`), `+OK ${C}\n`);
  const from = await bridged(w);
  assert.equal(await w.api(`uuid_bridge ${B} ${C}`), `+OK ${C}\n`);
  const rebridge = await w.until((e) => e['Event-Name'] === 'CHANNEL_BRIDGE', 'B bridged to C');
  assert.deepEqual([rebridge['Bridge-A-Unique-ID'], rebridge['Bridge-B-Unique-ID']], [B, C]);
  await seenOrNext(w, on(A, 'CHANNEL_PARK'), 'A parks after its bridge');
  assert.deepEqual(trail(w, A, from), BRIDGE_RETURNS);
  const [unbridge, ...more] = unbridges(w, from);
  assert.equal(more.length, 0);
  assert.deepEqual([unbridge?.['Unique-ID'], unbridge?.['Bridge-B-Unique-ID']], [A, B]);
  await killingAleavesB(w);
  assert.equal(await w.api(`uuid_exists ${C}`), 'true');
});

void it('uuid_bridge of two legs already bridged together: unbridged and bridged again, neither hung up', async () => {
  const w = await open();
  const from = await bridged(w);
  assert.equal(await w.api(`uuid_bridge ${A} ${B}`), `+OK ${B}\n`);
  await w.until((e) => e['Event-Name'] === 'CHANNEL_BRIDGE', 'bridged again');
  // switch_ivr_uuid_bridge: CS_HIBERNATE, CS_RESET, CS_SOFT_EXECUTE on both; A bridges from CS_SOFT_EXECUTE.
  const joining = ['STATE CS_HIBERNATE', 'STATE CS_RESET', 'STATE CS_SOFT_EXECUTE', 'CHANNEL_EXECUTE:uuid_bridge'];
  assert.deepEqual(trail(w, A, from), ['CHANNEL_UNBRIDGE', 'CHANNEL_EXECUTE_COMPLETE:bridge', ...joining, 'CHANNEL_BRIDGE']);
  assert.deepEqual(trail(w, B, from), [...joining, 'STATE CS_EXCHANGE_MEDIA']);
});
