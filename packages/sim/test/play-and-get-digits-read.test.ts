/**
 * play_and_get_digits as mod_dptools reads its arguments and switch_play_and_get_digits /
 * switch_ivr_read / switch_ivr_collect_digits_count run it (FreeSWITCH 1.10.12), on the fake clock:
 * `<min> <max> <tries> <timeout> <terminators> <file> <invalid_file> [<var> [<regexp> [<digit_timeout> [<transfer_on_failure>]]]]`.
 * - The timeout waits for the first digit once the prompt is over; every digit then restarts the
 *   wait with digit_timeout (unset or 0: the timeout). A digit that broke the prompt counts.
 * - Each try clears the variable and `read_result`, then sets `read_result` to success (a
 *   terminator, or max digits), timeout (the wait ran out with at least min digits) or failure
 *   (fewer than min, hung up); the variable gets whatever digits came, even too few; a terminator
 *   is `read_terminator_used`.
 * - min below 0 is 0, max below min is min, a timeout up to 1000 ms is 1000, 0 tries run nothing.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { apiAt, harness, header, type Harness } from './core-capture.js';
import type { CoreEvent } from '../src/core/index.js';

interface Run {
  readonly h: Harness;
  readonly uuid: string;
  /** The application's CHANNEL_EXECUTE_COMPLETE, once it has returned. */
  done(): CoreEvent | undefined;
  digits(d: string): Promise<void>;
}

async function run(args: string, vars = ''): Promise<Run> {
  const h = harness();
  const reply = await apiAt(h, 'originate', `${vars}user/1000 &play_and_get_digits(${args})`);
  assert.match(reply, /^\+OK /);
  const uuid = reply.slice(4, -1);
  return {
    h,
    uuid,
    done: () => h.events.find((e) => e.uuid === uuid && e.name === 'CHANNEL_EXECUTE_COMPLETE' && header(e, 'Application') === 'play_and_get_digits'),
    digits: async (d) => {
      assert.equal(h.core.control.sendDigits(uuid, d), true);
      await h.clock.advance(0);
    },
  };
}

/** The variables the application left: `v`, read_result, read_terminator_used. */
function outcome(r: Run): [string | undefined, string | undefined, string | undefined] {
  const e = r.done();
  assert.ok(e, 'play_and_get_digits has returned');
  return [header(e, 'variable_v'), header(e, 'variable_read_result'), header(e, 'variable_read_terminator_used')];
}

async function doneAfter(r: Run, ms: number): Promise<void> {
  await r.h.clock.advance(ms - 1);
  assert.equal(r.done(), undefined, `still waiting at ${ms - 1} ms`);
  await r.h.clock.advance(1);
  assert.ok(r.done(), `returned at ${ms} ms`);
}

void describe('play_and_get_digits timeouts', () => {
  void it('digit_timeout (10th argument) is the wait after a digit', async () => {
    const r = await run('1 3 1 5000 # silence silence_stream://0 v \\d+ 2000');
    await r.h.clock.advance(1000);
    await r.digits('1');
    await doneAfter(r, 2000);
    assert.deepEqual(outcome(r), ['1', 'timeout', undefined]);
    await r.h.core.stop();
  });

  void it('without digit_timeout each digit restarts the timeout', async () => {
    const r = await run('1 3 1 3000 # silence silence_stream://0 v');
    await r.h.clock.advance(2000);
    await r.digits('1');
    await r.h.clock.advance(2000);
    assert.equal(r.done(), undefined, 'the first digit restarted the wait');
    await r.digits('2');
    await doneAfter(r, 3000);
    assert.deepEqual(outcome(r), ['12', 'timeout', undefined]);
    await r.h.core.stop();
  });

  void it('a digit during the prompt: the next one is waited for digit_timeout', async () => {
    const r = await run('1 3 1 10000 # prompt.wav silence_stream://0 v \\d+ 2000');
    await r.h.clock.advance(500);
    await r.digits('4');
    await doneAfter(r, 2000);
    assert.deepEqual(outcome(r), ['4', 'timeout', undefined]);
    await r.h.core.stop();
  });

  void it('a timeout up to 1000 ms waits 1000 ms; with min 0, no digit is a timeout', async () => {
    const r = await run('0 1 1 100 # silence silence_stream://0 v');
    await doneAfter(r, 1000);
    assert.deepEqual(outcome(r), [undefined, 'timeout', undefined]);
    await r.h.core.stop();
  });
});

void describe('play_and_get_digits read_result and the variable', () => {
  void it('a terminator: success, read_terminator_used', async () => {
    const r = await run('1 3 1 5000 # silence silence_stream://0 v');
    await r.digits('12#');
    assert.deepEqual(outcome(r), ['12', 'success', '#']);
    await r.h.core.stop();
  });

  void it('max digits: success', async () => {
    const r = await run('1 3 1 5000 # silence silence_stream://0 v');
    await r.digits('123');
    assert.deepEqual(outcome(r), ['123', 'success', undefined]);
    await r.h.core.stop();
  });

  void it('too few digits on the last try: failure, and the variable holds them', async () => {
    const r = await run('2 3 1 5000 # silence silence_stream://0 v');
    await r.digits('1#');
    assert.deepEqual(outcome(r), ['1', 'failure', '#']);
    await r.h.core.stop();
  });

  void it('no digit where one is needed: failure (too few), and the variable set before is cleared', async () => {
    const r = await run('1 1 1 1000 # silence silence_stream://0 v', '{v=old}');
    await doneAfter(r, 1000);
    assert.deepEqual(outcome(r), [undefined, 'failure', undefined]);
    await r.h.core.stop();
  });

  void it('`+` before a terminator keeps it in the digits', async () => {
    const r = await run('1 3 1 5000 +# silence silence_stream://0 v');
    await r.digits('7#');
    assert.deepEqual(outcome(r), ['7#', 'success', '#']);
    await r.h.core.stop();
  });
});

void describe('play_and_get_digits arguments', () => {
  void it('max below min is min', async () => {
    const r = await run('2 1 1 5000 # silence silence_stream://0 v');
    await r.digits('1');
    assert.equal(r.done(), undefined, 'one digit is not enough');
    await r.digits('2');
    assert.deepEqual(outcome(r), ['12', 'success', undefined]);
    await r.h.core.stop();
  });

  void it('0 tries: nothing is played, it returns at once', async () => {
    const r = await run('1 1 0 5000 # prompt.wav silence_stream://0 v');
    assert.ok(r.done());
    assert.equal(r.h.events.filter((e) => e.uuid === r.uuid && e.name === 'PLAYBACK_START').length, 0);
    await r.h.core.stop();
  });

  void it('transfer_on_failure (11th argument): the channel goes there once the tries are over', async () => {
    const r = await run('1 1 1 1000 # silence silence_stream://0 v \\d 0 7003 XML default');
    await doneAfter(r, 1000);
    await r.h.clock.advance(0);
    const routed = r.h.events.find((e) => e.uuid === r.uuid && e.name === 'CHANNEL_EXECUTE' && header(e, 'Application') === 'echo');
    assert.equal(routed && header(routed, 'Caller-Destination-Number'), '7003');
    await r.h.core.stop();
  });
});
