/**
 * When a transfer ends a bridge. switch_ivr_session_transfer only flags the channel (CF_TRANSFER)
 * and sets its state; the bridge loops (audio_bridge_thread) see it on their next pass, and the
 * bridging leg fires CHANNEL_UNBRIDGE once its loop is over (switch_ivr_multi_threaded_bridge).
 * So the transfer application's CHANNEL_EXECUTE_COMPLETE, fired as it returns, comes first — on
 * the leg's own thread when it runs on the bridging leg — and uuid_transfer's API event too.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { apiWirePerTest, bridgingExtension, extension, named, on, originateBridged, type ApiWire, type JsonEvent } from './api-wire.js';

const A = 'b7a0c0c0-0000-4000-8000-0000000000a2';
const B = 'b7a0c0c0-0000-4000-8000-0000000000b2';

const open = apiWirePerTest({
  dialplan: {
    default: [
      extension('7003', [{ application: 'answer' }, { application: 'echo' }]),
      bridgingExtension('9100', B),
    ],
  },
});

const bridged = async (w: ApiWire): Promise<number> => (await originateBridged(w, A, '9100')).from;

const KEPT = new Set(['CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_UNBRIDGE', 'API']);
const leg = (e: JsonEvent): string => (e['Unique-ID'] === A ? 'A' : e['Unique-ID'] === B ? 'B' : '-');

/** What happened from `from` on, up to `last`: `leg NAME[:app]`. */
function order(w: ApiWire, from: number, last: (e: JsonEvent) => boolean): string[] {
  const end = w.seen.findIndex((e, i) => i >= from && last(e));
  return w.seen.slice(from, end + 1).filter((e) => KEPT.has(e['Event-Name'] ?? '')).map((e) => `${leg(e)} ${named(e)}`);
}

const sendTransfer = (w: ApiWire, uuid: string, arg: string): Promise<string> =>
  w.command(`sendmsg ${uuid}\ncall-command: execute\nexecute-app-name: transfer\nexecute-app-arg: ${arg}`);

void it('the transfer application on the dialled leg: its CHANNEL_EXECUTE_COMPLETE, then the bridging leg\'s CHANNEL_UNBRIDGE', async () => {
  const w = await open();
  const from = await bridged(w);
  assert.equal(await sendTransfer(w, B, '7003'), '+OK');
  await w.until(on(B, 'CHANNEL_EXECUTE', 'echo'), 'B runs 7003');
  assert.deepEqual(order(w, from, on(A, 'CHANNEL_EXECUTE_COMPLETE', 'bridge')), [
    'B CHANNEL_EXECUTE:transfer', 'B CHANNEL_EXECUTE_COMPLETE:transfer', 'A CHANNEL_UNBRIDGE', 'A CHANNEL_EXECUTE_COMPLETE:bridge',
  ]);
});

void it('the transfer application on the bridging leg: its CHANNEL_EXECUTE_COMPLETE, CHANNEL_UNBRIDGE, then the bridge returns', async () => {
  const w = await open();
  const from = await bridged(w);
  assert.equal(await sendTransfer(w, A, '7003'), '+OK');
  await w.until(on(A, 'CHANNEL_EXECUTE', 'echo'), 'A runs 7003');
  assert.deepEqual(order(w, from, on(A, 'CHANNEL_EXECUTE_COMPLETE', 'bridge')), [
    'A CHANNEL_EXECUTE:transfer', 'A CHANNEL_EXECUTE_COMPLETE:transfer', 'A CHANNEL_UNBRIDGE', 'A CHANNEL_EXECUTE_COMPLETE:bridge',
  ]);
});

void it('the transfer application with -both: both legs are moved before the one CHANNEL_UNBRIDGE', async () => {
  const w = await open();
  const from = await bridged(w);
  assert.equal(await sendTransfer(w, A, '-both 7003'), '+OK');
  await w.until(on(B, 'CHANNEL_EXECUTE', 'echo'), 'B runs 7003');
  assert.deepEqual(order(w, from, on(A, 'CHANNEL_EXECUTE_COMPLETE', 'bridge')), [
    'A CHANNEL_EXECUTE:transfer', 'A CHANNEL_EXECUTE_COMPLETE:transfer', 'A CHANNEL_UNBRIDGE', 'A CHANNEL_EXECUTE_COMPLETE:bridge',
  ]);
});

void it('uuid_transfer: the API event of the command, then CHANNEL_UNBRIDGE', async () => {
  const w = await open();
  const from = await bridged(w);
  assert.equal(await w.api(`uuid_transfer ${B} 7003`), '+OK\n');
  await w.until(on(B, 'CHANNEL_EXECUTE', 'echo'), 'B runs 7003');
  const seen = order(w, from, on(A, 'CHANNEL_UNBRIDGE'));
  assert.deepEqual(seen.slice(-2), ['- API', 'A CHANNEL_UNBRIDGE']);
});
