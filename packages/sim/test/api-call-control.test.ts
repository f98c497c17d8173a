/**
 * mod_commands' call-control APIs over the Event Socket, with FreeSWITCH 1.10.12's replies and
 * events: uuid_answer / uuid_pre_answer, uuid_park (CS_PARK, no application), uuid_hold on a
 * sofia leg (HELD / UNHELD) and a loopback one (mod_loopback ignores the hold), and uuid_transfer
 * `-both` / `-bleg` (transfer_function moves the bridged leg too, or instead).
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { apiWirePerTest, extension, named, on, type ApiWire } from './api-wire.js';

const A = 'c0c0c0c0-0000-4000-8000-00000000000a';
const B = 'c0c0c0c0-0000-4000-8000-00000000000b';

const open = apiWirePerTest({
  dialplan: {
    default: [
      extension('7001', [{ application: 'answer' }, { application: 'park' }]),
      extension('7003', [{ application: 'answer' }, { application: 'echo' }]),
      extension('8001', [{ application: 'ring_ready' }, { application: 'park' }]),
      extension('9100', [{ application: 'answer' }, { application: 'bridge', data: `{origination_uuid=${B}}user/1000` }]),
    ],
  },
});

void it('uuid_pre_answer and uuid_answer a ringing inbound leg; an outbound leg is left as it is; -ERROR without a channel', async () => {
  const w = await open();
  assert.match(await w.bgapi(`originate {origination_uuid=${A}}loopback/8001 &park()`), /^\+OK Job-UUID/);
  const park = await w.until((e) => e['Event-Name'] === 'CHANNEL_PARK' && e['Channel-Name'] === 'loopback/8001-b');
  const b = park['Unique-ID'] ?? '';
  assert.equal(await w.api(`uuid_pre_answer ${b}`), '+OK\n');
  const early = await w.until(on(b, 'CHANNEL_CALLSTATE'));
  assert.equal(early['Channel-Call-State'], 'EARLY');
  assert.equal(await w.api(`uuid_answer ${b}`), '+OK\n');
  // mod_loopback answers the other leg first.
  const answered = await w.until((e) => e['Event-Name'] === 'CHANNEL_ANSWER' && e['Unique-ID'] === b);
  assert.ok(w.seen.some(on(A, 'CHANNEL_ANSWER')), 'the a-leg was answered before');
  assert.equal(answered['Answer-State'], 'answered');
  assert.equal(await w.api(`uuid_answer ${A}`), '+OK\n', 'an outbound leg: switch_channel_answer returns at once');
  assert.equal(await w.api(`uuid_answer ${b}`), '+OK\n', 'already answered');
  assert.equal(await w.api('uuid_answer 00000000-0000-0000-0000-000000000000'), '-ERROR\n');
  assert.equal(await w.api('uuid_pre_answer'), '-ERROR\n');
});

void it('uuid_park: what runs returns, CS_PARK and CHANNEL_PARK without an application; a transfer takes it out', async () => {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${A}}user/2000 7003`), `+OK ${A}\n`);
  await w.until(on(A, 'CHANNEL_EXECUTE', 'echo'));
  assert.equal(await w.api(`uuid_park ${A}`), '+OK\n');
  await w.until(on(A, 'CHANNEL_PARK'));
  const mine = w.seen.filter((e) => e['Unique-ID'] === A);
  const tail = mine.slice(mine.findIndex(on(A, 'CHANNEL_EXECUTE', 'echo')) + 1).map((e) => (e['Event-Name'] === 'CHANNEL_STATE' ? `STATE ${e['Channel-State'] ?? ''}` : named(e)));
  assert.deepEqual(tail.filter((n) => n !== 'API'), ['CHANNEL_EXECUTE_COMPLETE:echo', 'STATE CS_PARK', 'CHANNEL_PARK']);
  assert.equal(await w.api(`uuid_transfer ${A} 7001`), '+OK\n');
  await w.until(on(A, 'CHANNEL_UNPARK'));
  const exec = await w.until(on(A, 'CHANNEL_EXECUTE', 'answer'));
  assert.equal(exec['Caller-Destination-Number'], '7001');
  assert.equal(await w.api('uuid_park'), '-USAGE: <uuid>\n');
  assert.equal(await w.api('uuid_park 00000000-0000-0000-0000-000000000000'), '-ERR No such channel!\n');
});

void it('uuid_hold on an answered sofia leg: HELD, CHANNEL_HOLD; again fails; toggle and off release it (UNHELD, CHANNEL_UNHOLD)', async () => {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${A}}user/2000 7001`), `+OK ${A}\n`);
  await w.until(on(A, 'CHANNEL_PARK'));
  assert.equal(await w.api(`uuid_hold ${A}`), '+OK Success\n');
  const held = await w.until(on(A, 'CHANNEL_CALLSTATE'));
  assert.equal(held['Channel-Call-State'], 'HELD');
  assert.equal(held['Original-Channel-Call-State'], 'ACTIVE');
  const hold = await w.until(on(A, 'CHANNEL_HOLD'));
  assert.equal(hold['Channel-Call-State'], 'HELD');
  assert.notEqual(hold['Caller-Channel-Last-Hold'], '0');
  assert.equal(await w.api(`uuid_hold ${A}`), '-ERR Operation failed\n', 'already on hold');
  assert.equal(await w.api(`uuid_hold toggle ${A}`), '+OK Success\n');
  const unheld = await w.until(on(A, 'CHANNEL_CALLSTATE'));
  assert.equal(unheld['Channel-Call-State'], 'UNHELD');
  await w.until(on(A, 'CHANNEL_UNHOLD'));
  assert.equal(await w.api(`uuid_hold off ${A}`), '-ERR Operation failed\n', 'not on hold');
  assert.equal(await w.api(`uuid_hold toggle ${A}`), '+OK Success\n', 'UNHELD toggles to held');
  await w.until(on(A, 'CHANNEL_HOLD'));
  assert.equal(await w.api(`uuid_hold off ${A}`), '+OK Success\n');
  await w.until(on(A, 'CHANNEL_UNHOLD'));
  // v1.10.12 writes the usage, then falls through to the failed status.
  assert.equal(await w.api('uuid_hold'), '-USAGE: [off|toggle] <uuid> [<display>]\n-ERR Operation failed\n');
  // switch_ivr_hold_uuid succeeds when it finds no channel.
  assert.equal(await w.api('uuid_hold 00000000-0000-0000-0000-000000000000'), '+OK Success\n');
});

void it('uuid_hold on a loopback leg: CHANNEL_HOLD, the callstate stays ACTIVE, so off finds it not on hold', async () => {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${A}}loopback/7001 &park()`), `+OK ${A}\n`);
  await w.until(on(A, 'CHANNEL_PARK'));
  const from = w.seen.length;
  assert.equal(await w.api(`uuid_hold ${A}`), '+OK Success\n');
  const hold = await w.until(on(A, 'CHANNEL_HOLD'));
  assert.equal(hold['Channel-Call-State'], 'ACTIVE');
  assert.equal(await w.api(`uuid_hold ${A}`), '+OK Success\n');
  await w.until(on(A, 'CHANNEL_HOLD'));
  assert.equal(await w.api(`uuid_hold off ${A}`), '-ERR Operation failed\n');
  assert.ok(!w.seen.slice(from).some(on(A, 'CHANNEL_CALLSTATE')), 'no callstate change');
});

async function bridged(w: ApiWire): Promise<void> {
  assert.equal(await w.api(`originate {origination_uuid=${A}}user/2000 9100`), `+OK ${A}\n`);
  const bridge = await w.until((e) => e['Event-Name'] === 'CHANNEL_BRIDGE');
  assert.deepEqual([bridge['Bridge-A-Unique-ID'], bridge['Bridge-B-Unique-ID']], [A, B]);
}

void it('uuid_transfer -both: the bridged leg goes to the same extension first, then the named one', async () => {
  const w = await open();
  await bridged(w);
  assert.equal(await w.api(`uuid_transfer ${A} -both 7003`), '+OK\n');
  const bEcho = await w.until(on(B, 'CHANNEL_EXECUTE', 'echo'), 'the bridged leg runs 7003');
  assert.equal(bEcho['Caller-Destination-Number'], '7003');
  assert.equal(bEcho['Caller-Context'], 'default');
  const aEcho = w.seen.find(on(A, 'CHANNEL_EXECUTE', 'echo')) ?? (await w.until(on(A, 'CHANNEL_EXECUTE', 'echo')));
  assert.equal(aEcho['Caller-Destination-Number'], '7003');
  const routed = (uuid: string) => w.seen.findIndex((e) => on(uuid, 'CHANNEL_EXECUTE', 'answer')(e) && e['Caller-Destination-Number'] === '7003');
  assert.ok(routed(B) >= 0 && routed(B) < routed(A), 'the other leg first');
  assert.equal(await w.api(`uuid_exists ${B}`), 'true');
});

void it('uuid_transfer -bleg: only the bridged leg is transferred', async () => {
  const w = await open();
  await bridged(w);
  assert.equal(await w.api(`uuid_transfer ${A} -bleg 7003 XML default`), '+OK\n');
  const bEcho = await w.until(on(B, 'CHANNEL_EXECUTE', 'echo'));
  assert.equal(bEcho['Caller-Destination-Number'], '7003');
  assert.ok(!w.seen.some((e) => e['Unique-ID'] === A && e['Event-Name'] === 'CHANNEL_EXECUTE' && e['Caller-Destination-Number'] === '7003'));
  assert.equal(await w.api('uuid_transfer 00000000-0000-0000-0000-000000000000 -both 7003'), '-ERR No such channel!\n');
  assert.equal(await w.api(`uuid_transfer ${B}`), '-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n');
});
