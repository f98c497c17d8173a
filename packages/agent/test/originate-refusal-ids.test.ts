// An originate refused or failed before FreeSWITCH placed anything still says which call it was
// about (data.uuid, when the request named one): for an async originate its forward_to copy is
// the only answer. And FreeSWITCH's own originate text sent through the generic API path (the
// built-in command wins the name) is told what to send instead.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { BusErrorCode } from '@fsbus/contract';
import { startRig, type Rig } from './call-control-harness.js';
import { until } from './support/cluster.js';

type Envelope = { success: boolean; message: string; code?: string; data?: unknown; correlation_id?: string };

const jobs = (rig: Rig): number => rig.events.events.filter((e) => e.event_name === 'BACKGROUND_JOB').length;

void describe('originate refusals name their call; FreeSWITCH originate text gets a hint', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig.stop());

  void test('async originate with an invalid endpoint: the forward_to copy carries data.uuid and the correlation_id', async () => {
    const uuid = randomUUID();
    const box = await rig.inbox('cc.results.refused');
    // What bus.originate({ endpoint: 'a b', extension: '&park()', async: true, forwardTo }) sends, plus a correlation id.
    await rig.publish({ command: 'originate', endpoint: 'a b', extension: '&park()', uuid, forward_to: 'cc.results.refused', async: true, correlation_id: 'job-7' });
    // And the SDK's own body (no correlation id): the uuid alone tells the call.
    const other = randomUUID();
    await rig.publish({ command: 'originate', endpoint: 'a b', extension: '&park()', uuid: other, forward_to: 'cc.results.refused', async: true });
    const [first, second] = (await box.count(2)).map((t) => JSON.parse(t) as Envelope);
    assert.equal(first!.success, false);
    assert.equal(first!.code, BusErrorCode.INVALID_ARGUMENT);
    assert.equal(first!.message, 'endpoint must not contain spaces, quotes, braces or brackets');
    assert.deepEqual(first!.data, { uuid });
    assert.equal(first!.correlation_id, 'job-7');
    assert.deepEqual(second!.data, { uuid: other });
    assert.equal(second!.correlation_id, undefined);
  });

  void test('every validation refusal names the requested uuid; a uuid that is itself invalid is not echoed', async () => {
    const uuid = randomUUID();
    for (const fields of [{}, { endpoint: 'user/1000' }, { endpoint: 'user/1000', extension: '&park()', context: 'a b' }, { endpoint: 'user/1000', extension: '&park()', variables: { origination_uuid: 'x' } }]) {
      const r = await rig.request({ command: 'originate', ...fields, uuid });
      assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT, JSON.stringify(r));
      assert.deepEqual(r.data, { uuid }, JSON.stringify(fields));
    }
    const bad = await rig.request({ command: 'originate', endpoint: 'a b', extension: '&park()', uuid: 'ab cd' });
    assert.equal(bad.code, BusErrorCode.INVALID_ARGUMENT);
    assert.equal(bad.data, undefined, 'no uuid to name');
  });

  void test('a line the Event Socket library refuses to send names the uuid, no job (none was sent)', async () => {
    const uuid = randomUUID();
    const before = jobs(rig);
    const r = await rig.request({ command: 'originate', endpoint: 'user/1000', extension: '&park()', uuid, variables: { note: 'unload mod_event_socket' } });
    assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT, JSON.stringify(r));
    assert.match(r.message, /^command refused: it mentions "unload" and "mod_event_socket"/);
    assert.deepEqual(r.data, { uuid });
    await rig.request({ command: 'status' });
    assert.equal(jobs(rig), before);
  });

  for (const [name, extra] of [['api', {}], ['bgapi', { bg: true }]] as const) {
    void test(`${name}('originate', 'user/1000 &park()'): the refusal names the originate fields and bus.originate()`, async () => {
      const before = jobs(rig);
      const r = await rig.request({ command: 'originate', args: 'user/1000 &park()', ...extra });
      assert.equal(r.success, false);
      assert.equal(r.code, BusErrorCode.INVALID_ARGUMENT);
      assert.equal(
        r.message,
        "originate is the agent's own command: it takes fields, not FreeSWITCH's originate text in args, so send endpoint and extension (and optionally dialplan, context, caller_id_name, caller_id_number, timeout, variables, uuid), e.g. bus.originate({ endpoint, extension }) in the SDK or fsbus originate <endpoint> <extension>",
      );
      await rig.request({ command: 'status' });
      assert.equal(jobs(rig), before, 'nothing reached FreeSWITCH');
    });
  }

  void test('a preset uuid already in use: the reply names the channel FreeSWITCH made, and the uuid asked for', async () => {
    const uuid = randomUUID();
    const first = await rig.request({ command: 'originate', endpoint: 'user/1000', extension: '&park()', uuid });
    assert.equal(first.success, true, JSON.stringify(first));
    assert.equal((first.data as { uuid: string }).uuid, uuid);
    const second = await rig.request({ command: 'originate', endpoint: 'user/1000', extension: '&park()', uuid });
    assert.equal(second.success, true, JSON.stringify(second));
    const data = second.data as { uuid: string; requested_uuid?: string; result: string };
    assert.notEqual(data.uuid, uuid, 'not the call placed first');
    assert.equal(data.result, `+OK ${data.uuid}`);
    assert.equal(data.requested_uuid, uuid);
    for (const u of [uuid, data.uuid]) await rig.request({ command: 'hangup', uuid: u });
  });

  void test('FreeSWITCH not connected: the refusal names the uuid (no job: none was sent)', async () => {
    await rig.sim.control.stopListener();
    rig.sim.control.dropConnections();
    const status = (): { command_connections_ready: number } => rig.agent.status()['esl'] as { command_connections_ready: number };
    await until(rig.agent, () => status().command_connections_ready === 0, 'no command connection ready');
    const uuid = randomUUID();
    const r = await rig.request({ command: 'originate', endpoint: 'user/1000', extension: '&park()', uuid });
    assert.equal(r.code, BusErrorCode.FREESWITCH_UNAVAILABLE, JSON.stringify(r));
    // With why, as the link knows it: the connection lost, or no listener at the last attempt.
    assert.match(r.message ?? '', /^FreeSWITCH is not connected: (the connection was lost \(.+\), reconnecting|cannot connect to FreeSWITCH at 127\.0\.0\.1:\d+: .+)$/);
    assert.deepEqual(r.data, { uuid });
  });
});
