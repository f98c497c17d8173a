/**
 * play_and_get_digits over the Event Socket, as FreeSWITCH 1.10.12 runs it
 * (switch_play_and_get_digits, switch_ivr_read): each try plays its prompt (PLAYBACK_START /
 * PLAYBACK_STOP; a digit breaks it and is kept) and only then waits for digits; a wrong answer
 * plays the invalid file. The digits are tested with switch_regex_match: unanchored unless the
 * pattern anchors itself, `/re/flags` read, a pattern that does not compile never matches, no
 * pattern accepts any digits.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { apiWire, extension, on, type ApiWire, type JsonEvent } from './api-wire.js';

const REGEX_CASES: ReadonlyArray<{ regex: string | undefined; digits: string; valid: boolean }> = [
  { regex: '2', digits: '12', valid: true },
  { regex: '/^1/', digits: '12', valid: true },
  { regex: '/^a/i', digits: 'A1', valid: true },
  { regex: '^\\d$', digits: '12', valid: false },
  { regex: '(', digits: '12', valid: false },
  { regex: undefined, digits: '*1', valid: true },
];

let w: ApiWire;
before(async () => {
  w = await apiWire({
    dialplan: {
      default: [
        // A prompt long enough that the test's digit always comes during it.
        extension('8500', [{ application: 'answer' }, { application: 'play_and_get_digits', data: '1 1 2 2000 # silence_stream://20000 silence_stream://40 v 7' }]),
        extension('8501', [{ application: 'answer' }, { application: 'play_and_get_digits', data: '1 1 1 20000 # silence_stream://100 silence_stream://40 v 7' }]),
        ...REGEX_CASES.map((c, i) => extension(String(8510 + i), [
          { application: 'answer' },
          { application: 'play_and_get_digits', data: `1 2 1 20000 # silence silence_stream://10 v${c.regex === undefined ? '' : ` ${c.regex}`}` },
        ])),
      ],
    },
  });
});
after(() => w.close());

const uuidOf = (n: number): string => `e0e0e0e0-0000-4000-8000-${String(n).padStart(12, '0')}`;
const playback = (uuid: string) => (e: JsonEvent): boolean => e['Unique-ID'] === uuid && (e['Event-Name'] === 'PLAYBACK_START' || e['Event-Name'] === 'PLAYBACK_STOP');
const playbacks = (uuid: string): string[] =>
  w.seen.filter(playback(uuid)).map((e) => `${e['Event-Name'] ?? ''} ${e['Playback-File-Path'] ?? ''}${e['Playback-Status'] === undefined ? '' : ` ${e['Playback-Status']}`}`);

void describe('play_and_get_digits prompts', () => {
  void it('a digit breaks the prompt and is collected; a wrong one plays the invalid file, then the next try its prompt', async () => {
    const U = uuidOf(8500);
    assert.equal(await w.api(`originate {origination_uuid=${U}}user/1000 8500`), `+OK ${U}\n`);
    await w.until((e) => playback(U)(e) && e['Event-Name'] === 'PLAYBACK_START');
    await w.api(`uuid_recv_dtmf ${U} 5`);
    await w.until((e) => playback(U)(e) && e['Event-Name'] === 'PLAYBACK_START' && e['Playback-File-Path'] === 'silence_stream://20000');
    await w.api(`uuid_recv_dtmf ${U} 7`);
    const done = await w.until(on(U, 'CHANNEL_EXECUTE_COMPLETE', 'play_and_get_digits'));
    assert.deepEqual(playbacks(U), [
      'PLAYBACK_START silence_stream://20000',
      'PLAYBACK_STOP silence_stream://20000 break',
      'PLAYBACK_START silence_stream://40',
      'PLAYBACK_STOP silence_stream://40 done',
      'PLAYBACK_START silence_stream://20000',
      'PLAYBACK_STOP silence_stream://20000 break',
    ]);
    assert.equal(done['variable_v'], '7');
    assert.equal(done['variable_v_invalid'], '5', 'the wrong answer of the first try');
  });

  void it('the digits are waited for once the prompt has played to its end', async () => {
    const U = uuidOf(8501);
    assert.equal(await w.api(`originate {origination_uuid=${U}}user/1000 8501`), `+OK ${U}\n`);
    await w.until((e) => playback(U)(e) && e['Event-Name'] === 'PLAYBACK_STOP');
    await w.api(`uuid_recv_dtmf ${U} 7`);
    const done = await w.until(on(U, 'CHANNEL_EXECUTE_COMPLETE', 'play_and_get_digits'));
    assert.deepEqual(playbacks(U), ['PLAYBACK_START silence_stream://100', 'PLAYBACK_STOP silence_stream://100 done']);
    assert.equal(done['variable_v'], '7');
    // switch_ivr_play_file sets them for a prompt as for playback.
    assert.deepEqual([done['variable_playback_ms'], done['variable_playback_samples'], done['variable_playback_seconds']], ['100', '800', '0']);
  });
});

void describe('play_and_get_digits digits regex (switch_regex_match)', () => {
  REGEX_CASES.forEach((c, i) => {
    void it(`${c.regex === undefined ? 'no regex' : `regex ${c.regex}`}, digits ${c.digits}: ${c.valid ? 'valid' : 'invalid'}`, async () => {
      const U = uuidOf(8510 + i);
      assert.equal(await w.api(`originate {origination_uuid=${U}}user/1000 ${8510 + i}`), `+OK ${U}\n`);
      await w.until(on(U, 'CHANNEL_EXECUTE', 'play_and_get_digits'));
      await w.api(`uuid_recv_dtmf ${U} ${c.digits}`);
      const done = await w.until(on(U, 'CHANNEL_EXECUTE_COMPLETE', 'play_and_get_digits'));
      assert.equal(done['variable_v'], c.valid ? c.digits : undefined);
      assert.equal(done['variable_v_invalid'], c.valid ? undefined : c.digits);
    });
  });
});
