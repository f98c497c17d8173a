/**
 * When a park ends a bridge. switch_ivr_park_session only flags the channel (CF_TRANSFER) and
 * sets CS_PARK, as a transfer does; the bridge loops (audio_bridge_thread) see the flag on their
 * next pass and the bridging leg fires CHANNEL_UNBRIDGE once its loop is over. So uuid_park's API
 * event, fired as the command returns, comes before the CHANNEL_UNBRIDGE, on either leg; then the
 * parked leg parks and the other follows its after-bridge rules.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { apiWirePerTest, bridgingExtension, named, on, originateBridged, type ApiWire, type JsonEvent } from './api-wire.js';

const A = 'b7a0c0c0-0000-4000-8000-0000000000a3';
const B = 'b7a0c0c0-0000-4000-8000-0000000000b3';

const open = apiWirePerTest({
  dialplan: {
    default: [
      bridgingExtension('9100', B),
      bridgingExtension('9101', B, ',park_after_bridge=true'),
    ],
  },
});

const bridged = async (w: ApiWire, ext = '9100'): Promise<number> => (await originateBridged(w, A, ext)).from;

const KEPT = new Set(['CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_UNBRIDGE', 'CHANNEL_PARK', 'API']);
const leg = (e: JsonEvent): string => (e['Unique-ID'] === A ? 'A' : e['Unique-ID'] === B ? 'B' : '-');

/** What happened from `from` on, up to `last`: `leg NAME[:app]`. */
function order(w: ApiWire, from: number, last: (e: JsonEvent) => boolean): string[] {
  const end = w.seen.findIndex((e, i) => i >= from && last(e));
  return w.seen.slice(from, end + 1).filter((e) => KEPT.has(e['Event-Name'] ?? '')).map((e) => `${leg(e)} ${named(e)}`);
}

void it('uuid_park of the dialled leg: the API event of the command, then CHANNEL_UNBRIDGE, then it parks', async () => {
  const w = await open();
  const from = await bridged(w);
  assert.equal(await w.api(`uuid_park ${B}`), '+OK\n');
  await w.until(on(B, 'CHANNEL_PARK'), 'B parks');
  assert.deepEqual(order(w, from, on(B, 'CHANNEL_PARK')), ['- API', 'A CHANNEL_UNBRIDGE', 'B CHANNEL_PARK']);
});

void it('uuid_park of the bridging leg: the API event, CHANNEL_UNBRIDGE, the bridge returns, then it parks', async () => {
  const w = await open();
  const from = await bridged(w);
  assert.equal(await w.api(`uuid_park ${A}`), '+OK\n');
  await w.until(on(A, 'CHANNEL_PARK'), 'A parks');
  assert.deepEqual(order(w, from, on(A, 'CHANNEL_PARK')), ['- API', 'A CHANNEL_UNBRIDGE', 'A CHANNEL_EXECUTE_COMPLETE:bridge', 'A CHANNEL_PARK']);
});

void it('uuid_park of one leg, park_after_bridge on the other: one CHANNEL_UNBRIDGE after the API event, both park', async () => {
  const w = await open();
  const from = await bridged(w, '9101');
  assert.equal(await w.api(`uuid_park ${A}`), '+OK\n');
  await w.until(on(B, 'CHANNEL_PARK'), 'B parks after its bridge');
  if (!w.seen.some(on(A, 'CHANNEL_PARK'))) await w.until(on(A, 'CHANNEL_PARK'), 'A parks');
  const seen = order(w, from, (e) => e['Event-Name'] === 'CHANNEL_PARK' && w.seen.slice(from).filter((x) => x['Event-Name'] === 'CHANNEL_PARK').at(-1) === e);
  assert.deepEqual(seen.slice(0, 2), ['- API', 'A CHANNEL_UNBRIDGE']);
  assert.equal(seen.filter((s) => s.endsWith('CHANNEL_UNBRIDGE')).length, 1);
  assert.deepEqual(seen.filter((s) => s.endsWith('CHANNEL_PARK')).sort(), ['A CHANNEL_PARK', 'B CHANNEL_PARK']);
});
