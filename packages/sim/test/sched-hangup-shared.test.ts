/**
 * The sched_hangup application and API share one scheduler (switch_ivr_schedule_hangup, the
 * channel's uuid as group): `sched_del <uuid>` cancels the application's tasks too; `bleg` hangs
 * up the partner only while the bridge lasts.
 */
import { describe, it } from 'node:test';
import { strict as assert } from 'node:assert';
import { apiAt, harness } from './core-capture.js';
import type { Harness } from './core-capture.js';
import type { CoreLogLine } from '../src/core/index.js';

const A = '55555555-0000-4000-8000-000000000001';
const B = '55555555-0000-4000-8000-000000000002';

function execute(h: Harness, uuid: string, app: string, arg: string): string {
  const headers = new Map([['call-command', 'execute'], ['execute-app-name', app], ['execute-app-arg', arg]]);
  return h.core.sendmsg(uuid, { callCommand: 'execute', headers, body: undefined });
}

const hungUp = (h: Harness, uuid: string): boolean => h.events.some((e) => e.name === 'CHANNEL_HANGUP' && e.uuid === uuid);

void describe('sched_hangup: one scheduler', () => {
  void it('sched_del <uuid> cancels what the application scheduled; ids are shared', async () => {
    const h = harness();
    assert.equal(await apiAt(h, 'originate', `{origination_uuid=${A}}loopback/7001 &park()`), `+OK ${A}\n`);
    assert.equal(execute(h, A, 'sched_hangup', '+2 USER_BUSY'), '+OK');
    await h.clock.advance(0);
    assert.equal(await apiAt(h, 'sched_hangup', `+3 ${A}`), '+OK\n');
    assert.equal(await apiAt(h, 'sched_del', A), '+OK Deleted: 2\n');
    await h.clock.advance(4000);
    assert.equal(hungUp(h, A), false);
    await h.core.stop();
  });

  void it('bleg: no partner once the bridge is over', async () => {
    const h = harness();
    const logs: CoreLogLine[] = [];
    h.core.onLog((l) => logs.push(l));
    assert.equal(await apiAt(h, 'originate', `{origination_uuid=${A},park_after_bridge=true}loopback/7001 &park()`), `+OK ${A}\n`);
    assert.equal(await apiAt(h, 'originate', `{origination_uuid=${B}}loopback/7001 &park()`), `+OK ${B}\n`);
    assert.equal(await apiAt(h, 'uuid_bridge', `${A} ${B}`), `+OK ${B}\n`);
    await h.clock.advance(0);
    assert.equal(await apiAt(h, 'uuid_transfer', `${B} 7001`), '+OK\n');
    await h.clock.advance(0);
    const unbridge = h.events.find((e) => e.name === 'CHANNEL_UNBRIDGE');
    assert.ok(unbridge, 'the bridge is over');
    assert.equal(execute(h, A, 'sched_hangup', '+1 USER_BUSY bleg'), '+OK');
    await h.clock.advance(2000);
    assert.equal(hungUp(h, B), false, 'the former partner is not hung up');
    assert.equal(hungUp(h, A), false);
    assert.ok(logs.some((l) => l.func === 'sch_hangup_callback' && l.text.includes('No channel to hangup') && l.uuid === A));
    await h.core.stop();
  });
});
