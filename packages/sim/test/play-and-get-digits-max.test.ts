/**
 * play_and_get_digits reads into a 128-byte buffer (play_and_get_digits_function's digit_buffer):
 * with a max above 128 each try's switch_ivr_read says "Buffer too small!" and returns at once —
 * no prompt, no digits, its variable and read_result cleared — and switch_play_and_get_digits
 * counts it as a wrong answer: the invalid file plays, and once the tries are over
 * transfer_on_failure applies. A max of 128 reads as usual.
 */
import { strict as assert } from 'node:assert';
import { after, before, it } from 'node:test';
import { apiWire, extension, on, type ApiWire, type JsonEvent } from './api-wire.js';

let w: ApiWire;
before(async () => {
  w = await apiWire({
    dialplan: {
      default: [
        extension('8600', [{ application: 'answer' }, { application: 'set', data: 'v=stale' },
          { application: 'play_and_get_digits', data: '1 129 2 1000 # silence_stream://100 silence_stream://40 v \\d+ 0 8602' }]),
        extension('8601', [{ application: 'answer' }, { application: 'play_and_get_digits', data: '1 128 1 20000 # silence_stream://100 silence_stream://40 v' }]),
        extension('8602', [{ application: 'answer' }, { application: 'park' }]),
      ],
    },
  });
});
after(() => w.close());

const U = 'e0e0e0e0-0000-4000-8000-000000008600';
const V = 'e0e0e0e0-0000-4000-8000-000000008601';
const playbacks = (uuid: string): string[] => w.seen
  .filter((e) => e['Unique-ID'] === uuid && (e['Event-Name'] === 'PLAYBACK_START' || e['Event-Name'] === 'PLAYBACK_STOP'))
  .map((e) => `${e['Event-Name'] ?? ''} ${e['Playback-File-Path'] ?? ''}`);

void it('a max above 128: no prompt, the invalid file each try, then the failure transfer', async () => {
  assert.equal(await w.api(`originate {origination_uuid=${U}}user/1000 8600`), `+OK ${U}\n`);
  const done = await w.until(on(U, 'CHANNEL_EXECUTE_COMPLETE', 'play_and_get_digits'));
  assert.deepEqual(playbacks(U), [
    'PLAYBACK_START silence_stream://40', 'PLAYBACK_STOP silence_stream://40',
    'PLAYBACK_START silence_stream://40', 'PLAYBACK_STOP silence_stream://40',
  ]);
  assert.deepEqual([done['variable_v'], done['variable_read_result']], [undefined, undefined]);
  const parked: JsonEvent = await w.until(on(U, 'CHANNEL_PARK'));
  assert.equal(parked['Caller-Destination-Number'], '8602');
});

void it('a max of 128 reads as usual', async () => {
  assert.equal(await w.api(`originate {origination_uuid=${V}}user/1000 8601`), `+OK ${V}\n`);
  await w.until((e) => e['Unique-ID'] === V && e['Event-Name'] === 'PLAYBACK_START');
  await w.api(`uuid_recv_dtmf ${V} 42#`);
  const done = await w.until(on(V, 'CHANNEL_EXECUTE_COMPLETE', 'play_and_get_digits'));
  assert.deepEqual([done['variable_v'], done['variable_read_result']], ['42', 'success']);
  assert.deepEqual(playbacks(V), ['PLAYBACK_START silence_stream://100', 'PLAYBACK_STOP silence_stream://100']);
});
