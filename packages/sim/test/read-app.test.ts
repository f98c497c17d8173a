/**
 * mod_dptools' `read <min> <max> <file> <var_name> <timeout> <terminators> <digit_timeout>`
 * (FreeSWITCH 1.10.12 read_function, then switch_ivr_read), on the fake clock:
 * - atoi throughout; min up to 1 is 1, max below min is min, a timeout up to 1000 ms (or none)
 *   is 1000, no terminators `#`, digit_timeout unsigned (0: the timeout).
 * - read_result and the variable are cleared, the prompt plays (a digit stops it and is the first
 *   one read; `silence` plays nothing), then digits are collected: read_result success / timeout /
 *   failure, read_terminator_used, the variable the digits read.
 * - More than 128 digits do not fit read_function's buffer: `Buffer too small!` and nothing read.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { apiAt, harness, header, type Harness } from './core-capture.js';
import type { CoreEvent, CoreLogLine } from '../src/core/index.js';

interface Run {
  readonly h: Harness;
  readonly uuid: string;
  readonly logs: CoreLogLine[];
  /** read's CHANNEL_EXECUTE_COMPLETE, once it has returned. */
  done(): CoreEvent | undefined;
  digits(d: string): Promise<void>;
}

async function run(args: string, vars = ''): Promise<Run> {
  const h = harness();
  const logs: CoreLogLine[] = [];
  h.core.onLog((l) => logs.push(l));
  const reply = await apiAt(h, 'originate', `${vars}user/1000 &read(${args})`);
  assert.match(reply, /^\+OK /);
  const uuid = reply.slice(4, -1);
  return {
    h,
    uuid,
    logs,
    done: () => h.events.find((e) => e.uuid === uuid && e.name === 'CHANNEL_EXECUTE_COMPLETE' && header(e, 'Application') === 'read'),
    digits: async (d) => {
      assert.equal(h.core.control.sendDigits(uuid, d), true);
      await h.clock.advance(0);
    },
  };
}

/** What read left: `v`, read_result, read_terminator_used. */
function outcome(r: Run): [string | undefined, string | undefined, string | undefined] {
  const e = r.done();
  assert.ok(e, 'read has returned');
  return [header(e, 'variable_v'), header(e, 'variable_read_result'), header(e, 'variable_read_terminator_used')];
}

async function doneAfter(r: Run, ms: number): Promise<void> {
  await r.h.clock.advance(ms - 1);
  assert.equal(r.done(), undefined, `still reading at ${ms - 1} ms`);
  await r.h.clock.advance(1);
  assert.ok(r.done(), `returned at ${ms} ms`);
}

void describe('read', () => {
  void it('plays the prompt, then reads up to a terminator: success, read_terminator_used, the digits in the variable', async () => {
    const r = await run('2 4 prompt.wav v 3000 #', '{v=old}');
    const start = r.h.events.find((e) => e.uuid === r.uuid && e.name === 'PLAYBACK_START');
    assert.equal(start && header(start, 'Playback-File-Path'), 'prompt.wav');
    await r.h.clock.advance(1000);
    assert.ok(r.h.events.some((e) => e.uuid === r.uuid && e.name === 'PLAYBACK_STOP'), 'the prompt has played');
    await r.digits('12#');
    assert.deepEqual(outcome(r), ['12', 'success', '#']);
    assert.equal(header(r.done()!, 'Application-Response'), '_none_');
    await r.h.core.stop();
  });

  void it('a digit during the prompt stops it and is the first one read; max digits end the read', async () => {
    const r = await run('1 3 prompt.wav v 3000 #');
    await r.h.clock.advance(200);
    await r.digits('9');
    const stop = r.h.events.find((e) => e.uuid === r.uuid && e.name === 'PLAYBACK_STOP');
    assert.equal(stop && header(stop, 'Playback-Status'), 'break');
    await r.digits('87');
    assert.deepEqual(outcome(r), ['987', 'success', undefined]);
    await r.h.core.stop();
  });

  void it('min 0 is 1 and max 0 is min: one digit ends it', async () => {
    const r = await run('0 0 silence v 5000');
    await r.digits('5');
    assert.deepEqual(outcome(r), ['5', 'success', undefined]);
    await r.h.core.stop();
  });

  void it('no terminators is `#`; a timeout up to 1000 ms waits 1000 ms, and no digit is a failure', async () => {
    const t = await run('1 3 silence v 5000');
    await t.digits('7#');
    assert.deepEqual(outcome(t), ['7', 'success', '#']);
    await t.h.core.stop();
    const r = await run('1 3 silence v 500', '{v=old}');
    await doneAfter(r, 1000);
    assert.deepEqual(outcome(r), [undefined, 'failure', undefined]);
    await r.h.core.stop();
  });

  void it('enough digits when the wait runs out: timeout; digit_timeout (7th argument) is the wait after a digit', async () => {
    const r = await run('1 3 silence v 5000 # 2000');
    await r.h.clock.advance(1000);
    await r.digits('4');
    await doneAfter(r, 2000);
    assert.deepEqual(outcome(r), ['4', 'timeout', undefined]);
    await r.h.core.stop();
  });

  void it('more than 128 digits: `Buffer too small!`, read_result and the variable cleared, nothing read', async () => {
    const r = await run('1 129 silence v 5000', '{v=old,read_result=x}');
    assert.deepEqual(outcome(r), [undefined, undefined, undefined]);
    const line = r.logs.find((l) => l.func === 'switch_ivr_read');
    assert.deepEqual(line && [line.level, line.file, line.line, line.text.replace(/^.*?\] /, '')], [3, 'switch_ivr_play_say.c', 2546, 'switch_ivr_play_say.c:2546 Buffer too small!\n']);
    await r.h.core.stop();
    const fits = await run('1 128 silence v 5000');
    await fits.digits('3#');
    assert.deepEqual(outcome(fits), ['3', 'success', '#']);
    await fits.h.core.stop();
  });

  void it('no arguments: `No arguments specified.` and nothing else', async () => {
    const r = await run('', '{read_result=x}');
    assert.equal(header(r.done()!, 'variable_read_result'), 'x');
    const line = r.logs.find((l) => l.func === 'read_function');
    assert.deepEqual(line && [line.level, line.line, line.text.replace(/^.*?\] /, '')], [3, 2772, 'mod_dptools.c:2772 No arguments specified.\n']);
    await r.h.core.stop();
  });
});
