/**
 * switch_ivr_originate's ring timeout (FreeSWITCH 1.10.12): `start` is a whole epoch second and
 * the ring loop gives up once `now_sec - start >= timelimit_sec`, so NO_ANSWER comes when the
 * N-th second boundary after the dial passes, somewhere in (N-1, N] seconds. The IDX_TIMEOUT
 * branch sets NO_ANSWER without the "Originate Resulted in Error Cause" line the other failures get.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { FakeClock, SimCore } from '../src/core/index.js';
import type { CoreLogLine } from '../src/core/index.js';

function setup(startMicros: number): { core: SimCore; clock: FakeClock; logs: CoreLogLine[] } {
  const clock = new FakeClock(startMicros);
  const core = new SimCore({ clock, nodeName: 'vm', heartbeatIntervalMs: 0 });
  const logs: CoreLogLine[] = [];
  core.onLog((l) => logs.push(l));
  core.start();
  return { core, clock, logs };
}

const settled = (p: Promise<string>): Promise<string> => Promise.race([p, new Promise<string>((r) => setImmediate(() => r('pending')))]);
const errorLines = (logs: CoreLogLine[]): string[] => logs.filter((l) => l.text.includes('Originate Resulted in Error')).map((l) => l.text.slice(l.text.indexOf('Originate')).trim());

void it('originate_timeout=2 dialled at .700: NO_ANSWER at the second boundary 2 s on (1.300 s later), no error line', async () => {
  const { core, clock, logs } = setup(1_700_000_000_700_000);
  core.control.setEndpointBehavior('user/1002', { answer: 'no-answer' });
  const p = core.api('originate', '{originate_timeout=2}user/1002 &park()');
  await clock.advance(1299);
  assert.equal(await settled(p), 'pending');
  await clock.advance(1);
  assert.equal(await settled(p), '-ERR NO_ANSWER\n');
  assert.deepEqual(errorLines(logs), []);
  await core.stop();
});

void it('a refused call still logs the error line', async () => {
  const { core, clock, logs } = setup(1_700_000_000_000_000);
  core.control.setEndpointBehavior('user/1003', { answer: 'busy' });
  const p = core.api('originate', 'user/1003 &park()');
  await clock.advance(10);
  assert.equal(await p, '-ERR USER_BUSY\n');
  assert.deepEqual(errorLines(logs), ['Originate Resulted in Error Cause: 17 [USER_BUSY]']);
  await core.stop();
});

void it('dialled on a whole second: NO_ANSWER exactly N s later', async () => {
  const { core, clock } = setup(1_700_000_000_000_000);
  core.control.setEndpointBehavior('user/1002', { answer: 'no-answer' });
  const p = core.api('originate', '{originate_timeout=3}user/1002 &park()');
  await clock.advance(2999);
  assert.equal(await settled(p), 'pending');
  await clock.advance(1);
  assert.equal(await settled(p), '-ERR NO_ANSWER\n');
  await core.stop();
});
