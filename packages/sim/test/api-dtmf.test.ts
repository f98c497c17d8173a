/**
 * DTMF APIs over the Event Socket, as FreeSWITCH 1.10.12 runs them: uuid_recv_dtmf (the channel
 * receives the digits: DTMF events on it, DTMF-Source APP), uuid_send_dtmf (the channel sends them:
 * nothing on a sofia leg, the other leg of a loopback pair receives them), uuid_flush_dtmf.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { apiWirePerTest, extension, on, type JsonEvent } from './api-wire.js';

const U = 'd0d0d0d0-0000-4000-8000-000000000001';

const open = apiWirePerTest({
  dialplan: {
    default: [
      extension('7001', [{ application: 'answer' }, { application: 'park' }]),
      extension('8200', [{ application: 'ring_ready' }, { application: 'park' }]),
      extension('8300', [{ application: 'answer' }, { application: 'play_and_get_digits', data: '1 4 1 5000 # silence_stream://100 silence_stream://100 got \\d+' }, { application: 'park' }]),
    ],
  },
});

const digits = (events: readonly JsonEvent[], uuid: string): string[] =>
  events.filter(on(uuid, 'DTMF')).map((e) => `${e['DTMF-Digit'] ?? ''}/${e['DTMF-Duration'] ?? ''}/${e['DTMF-Source'] ?? ''}`);

void it('uuid_recv_dtmf: DTMF events on the channel (APP, 2000 samples, `@ms` × 8), no channel variables; usage and errors', async () => {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${U}}user/1000 7001`), `+OK ${U}\n`);
  assert.equal(await w.api(`uuid_recv_dtmf ${U} 1+2#@100`), `+OK ${U} received DTMF 1+2#@100.\n`);
  const last = await w.until((e) => on(U, 'DTMF')(e) && e['DTMF-Digit'] === '#');
  assert.deepEqual(digits(w.seen, U), ['1/2000/APP', '2/800/APP', '#/800/APP']);
  assert.ok(!Object.keys(last).some((k) => k.startsWith('variable_')), 'switch_channel_event_set_data adds no variables to DTMF');
  assert.equal(await w.api(`uuid_recv_dtmf ${U} xyz`), '-USAGE: <uuid> <dtmf_data>\n', 'no digit at all');
  assert.equal(await w.api(`uuid_recv_dtmf ${U}`), '-USAGE: <uuid> <dtmf_data>\n');
  assert.equal(await w.api('uuid_recv_dtmf 00000000-0000-0000-0000-000000000000 1'), '-ERR Cannot locate session!\n');
});

void it('uuid_recv_dtmf feeds play_and_get_digits', async () => {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${U}}user/1000 8300`), `+OK ${U}\n`);
  await w.until(on(U, 'CHANNEL_EXECUTE', 'play_and_get_digits'));
  assert.equal(await w.api(`uuid_recv_dtmf ${U} 42#`), `+OK ${U} received DTMF 42#.\n`);
  const done = await w.until(on(U, 'CHANNEL_EXECUTE_COMPLETE', 'play_and_get_digits'));
  assert.equal(done['variable_got'], '42');
});

void it('uuid_send_dtmf on a sofia leg: sent to the far end, no DTMF event', async () => {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${U}}user/1000 7001`), `+OK ${U}\n`);
  assert.equal(await w.api(`uuid_send_dtmf ${U} 5`), `+OK ${U} sent DTMF 5.\n`);
  // The next DTMF the channel has is the one it receives after.
  assert.equal(await w.api(`uuid_recv_dtmf ${U} 7`), `+OK ${U} received DTMF 7.\n`);
  await w.until(on(U, 'DTMF'));
  assert.deepEqual(digits(w.seen, U), ['7/2000/APP']);
  assert.equal(await w.api(`uuid_send_dtmf ${U}`), '-USAGE: <uuid> <dtmf_data>\n');
  assert.equal(await w.api('uuid_send_dtmf 00000000-0000-0000-0000-000000000000 1'), '-ERR Cannot locate session!\n');
  assert.equal(await w.api(`uuid_send_dtmf ${U} xyz`), '-ERR Operation failed\n');
});

void it('uuid_send_dtmf on a loopback leg: the other leg receives the digits (DTMF-Source UNKNOWN); a ringing leg is pre-answered first', async () => {
  const w = await open();
  assert.match(await w.bgapi(`originate {origination_uuid=${U}}loopback/8200 &park()`), /^\+OK Job-UUID/);
  const parked = await w.until((e) => e['Event-Name'] === 'CHANNEL_PARK' && e['Channel-Name'] === 'loopback/8200-b');
  const b = parked['Unique-ID'] ?? '';
  assert.equal(await w.api(`uuid_send_dtmf ${b} 9w3`), `+OK ${b} sent DTMF 9w3.\n`);
  await w.until((e) => on(U, 'DTMF')(e) && e['DTMF-Digit'] === '3');
  assert.deepEqual(digits(w.seen, U), ['9/2000/UNKNOWN', '3/2000/UNKNOWN'], '`w` is a pause, not a digit');
  assert.deepEqual(digits(w.seen, b), []);
  assert.ok(w.seen.some(on(b, 'CHANNEL_PROGRESS_MEDIA')), 'switch_core_session_send_dtmf_string pre-answers');
});

void it('uuid_flush_dtmf drops the digits not read yet', async () => {
  const w = await open();
  assert.equal(await w.api(`originate {origination_uuid=${U}}user/1000 7001`), `+OK ${U}\n`);
  await w.api(`uuid_recv_dtmf ${U} 12`);
  assert.equal(await w.api(`uuid_flush_dtmf ${U}`), '+OK\n');
  const pagd = 'play_and_get_digits\nexecute-app-arg: 1 4 1 5000 # silence_stream://100 silence_stream://100 got \\d+';
  assert.equal(await w.command(`sendmsg ${U}\ncall-command: execute\nexecute-app-name: ${pagd}`), '+OK');
  await w.until(on(U, 'CHANNEL_EXECUTE', 'play_and_get_digits'));
  await w.api(`uuid_recv_dtmf ${U} 34#`);
  const done = await w.until(on(U, 'CHANNEL_EXECUTE_COMPLETE', 'play_and_get_digits'));
  assert.equal(done['variable_got'], '34');
  assert.equal(await w.api('uuid_flush_dtmf 00000000-0000-0000-0000-000000000000'), '-ERR No such session\n');
  assert.equal(await w.api('uuid_flush_dtmf'), '-ERR No such session\n');
});
