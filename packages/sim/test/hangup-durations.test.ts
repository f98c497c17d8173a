/**
 * The duration variables of CHANNEL_HANGUP_COMPLETE as switch_channel_set_timestamps (FreeSWITCH
 * 1.10.12) computes them: each difference of epochs already cut to whole seconds (or ms); waitsec
 * is bridged − created (0 for a leg never bridged); flow_billsec is hungup − created once answered.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { DEFAULT_DIALPLAN, FakeClock, SimCore } from '../src/core/index.js';
import type { CoreEvent } from '../src/core/index.js';
import { header } from './core-capture.js';

const U = '22222222-0000-4000-8000-000000000001';
const NAMES = ['duration', 'billsec', 'progresssec', 'answersec', 'waitsec', 'progress_mediasec', 'flow_billsec'];
const MS = ['mduration', 'billmsec', 'progressmsec', 'answermsec', 'waitmsec', 'progress_mediamsec', 'flow_billmsec'];
const US = ['uduration', 'billusec', 'progressusec', 'answerusec', 'waitusec', 'progress_mediausec', 'flow_billusec'];

function setup(): { core: SimCore; clock: FakeClock; events: CoreEvent[] } {
  // 1_700_000_000.303 s: a call of 2.908 s ends at .211 of the third second after.
  const clock = new FakeClock(1_700_000_000_303_000);
  const dialplan = { ...DEFAULT_DIALPLAN, default: [...(DEFAULT_DIALPLAN.default ?? []), {
    name: 'late_answer', conditions: [{ field: 'destination_number', expression: '^7100$', actions: [{ application: 'ring_ready' }, { application: 'sleep', data: '700' }, { application: 'answer' }, { application: 'park' }] }],
  }] };
  const core = new SimCore({ clock, nodeName: 'vm', heartbeatIntervalMs: 0, dialplan });
  const events: CoreEvent[] = [];
  core.onEvent((e) => events.push(e));
  core.start();
  return { core, clock, events };
}

const vars = (e: CoreEvent | undefined, names: string[]): string[] => names.map((n) => header(e ?? { headers: [] }, `variable_${n}`) ?? '-');

void it('an answered leg never bridged: whole-second epochs subtracted, waitsec 0, flow_billsec from creation', async () => {
  const { core, clock, events } = setup();
  const reply = core.api('originate', `{origination_uuid=${U}}loopback/7100 &park()`);
  await clock.advance(700);
  assert.equal(await reply, `+OK ${U}\n`);
  await clock.advance(2208);
  assert.equal(await core.api('uuid_kill', U), '+OK\n');
  await clock.advance(0);
  const hc = events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === U);
  // created .303, progress .303 (ring_ready on the b-leg), answered +0.700 = 1.003, hung up 3.211.
  assert.deepEqual(vars(hc, NAMES), ['3', '2', '0', '1', '0', '0', '3']);
  assert.deepEqual(vars(hc, MS), ['2908', '2208', '0', '700', '0', '0', '2908']);
  assert.deepEqual(vars(hc, US), ['2908000', '2208000', '0', '700000', '0', '0', '2908000']);
  await core.stop();
});

void it('an unanswered leg: no bill, answer or flow time', async () => {
  const { core, clock, events } = setup();
  const reply = core.api('originate', `{origination_uuid=${U},originate_timeout=1}loopback/7006 &park()`);
  await clock.advance(3000);
  assert.equal(await reply, '-ERR NO_ANSWER\n');
  const hc = events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === U);
  assert.deepEqual(vars(hc, ['billsec', 'answersec', 'waitsec', 'flow_billsec', 'billmsec', 'answermsec', 'waitmsec', 'flow_billmsec', 'flow_billusec']), ['0', '0', '0', '0', '0', '0', '0', '0', '0']);
  await core.stop();
});

void it('a bridged leg: waitsec is bridged − created', async () => {
  const { core, clock, events } = setup();
  const a = '22222222-0000-4000-8000-00000000000a';
  const b = '22222222-0000-4000-8000-00000000000b';
  const ra = core.api('originate', `{origination_uuid=${a}}loopback/7001 &park()`);
  await clock.advance(0);
  assert.equal(await ra, `+OK ${a}\n`);
  await clock.advance(1500);
  const rb = core.api('originate', `{origination_uuid=${b}}loopback/7001 &park()`);
  await clock.advance(0);
  assert.equal(await rb, `+OK ${b}\n`);
  // The first leg was created at .303, it is bridged at 1.803 + 0.400 = 2.203.
  await clock.advance(400);
  assert.equal(await core.api('uuid_bridge', `${a} ${b}`), `+OK ${b}\n`);
  await clock.advance(1000);
  assert.equal(await core.api('uuid_kill', a), '+OK\n');
  await clock.advance(0);
  const hc = events.find((e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === a);
  assert.deepEqual(vars(hc, ['waitsec', 'waitmsec', 'waitusec']), ['2', '1900', '1900000']);
  const bridged = Number(header(hc ?? { headers: [] }, 'variable_bridge_uepoch'));
  assert.equal(bridged - Number(header(hc ?? { headers: [] }, 'variable_start_uepoch')), 1_900_000);
  await core.stop();
});
