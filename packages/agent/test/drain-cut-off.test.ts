// A stop whose drain deadline (commands.drain_timeout_ms) passes with commands still waiting for
// FreeSWITCH closes its connections under them. Those commands used to be answered
// FSBUS_ERR_BUS_FREESWITCH_UNAVAILABLE ("FreeSWITCH connection lost") although FreeSWITCH was up,
// and the stop said nothing about them. Each is now told the agent stopped before FreeSWITCH
// answered, as a timeout (it may have run: not a code that says retrying is safe), an originate
// keeping its uuid and job; one warn line at the stop counts them, and only it (not "FreeSWITCH slow").
// Real nats-server and agent; the simulator's api latency (far beyond the test) holds every
// `status`, so the drain deadline passes for certain without any timing in the test.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { BusErrorCode, decodeReply, type ReplyEnvelope } from '@fsbus/contract';
import { Simulator } from '@fsbus/sim';
import { enc, until } from './support/cluster.js';
import { linesOf, withAgent } from './support/fault-rig.js';

const CUT_OFF = 'the agent stopped before FreeSWITCH answered (its drain deadline, 0.2 s): the command may have run';

void test('commands cut off by the drain deadline are told so (FSBUS_ERR_BUS_TIMEOUT, may have run), counted in one warn line', async () => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  await withAgent({ port, stop: () => sim.stop() }, { config: { commands: { drain_timeout_ms: 200 } } }, async (rig) => {
    const answered = await rig.request('{"command":"status"}');
    assert.equal(answered.success, true, 'answered before the stop: not cut off');
    sim.core.control.setLatency(600_000);
    sim.core.control.setEndpointBehavior('user/slow', { answer: 'answer', delayMs: 600_000 });
    const ask = async (body: string): Promise<ReplyEnvelope> => decodeReply((await rig.client.request('freeswitch.node.node-1', enc(body), { timeoutMs: 30_000 })).data);
    const uuid = randomUUID();
    const replies = [ask('{"command":"status"}'), ask('{"command":"status"}'), ask(JSON.stringify({ command: 'originate', endpoint: 'user/slow', extension: '&park()', uuid }))];
    await until(rig.agent, () => rig.counters()['in_flight'] === 3, 'three commands in flight');
    // The agent only: the client waits for the replies.
    await rig.agent.stop();
    for (const r of await Promise.all(replies)) {
      assert.equal(r.success, false, JSON.stringify(r));
      assert.equal(r.code, BusErrorCode.TIMEOUT, JSON.stringify(r));
      assert.equal(r.message, CUT_OFF);
    }
    const originate = (await replies[2]!).data as { uuid?: string; job_uuid?: string };
    assert.equal(originate.uuid, uuid, 'the originate still names its call');
    assert.match(String(originate.job_uuid), /^[0-9a-f-]{36}$/, 'and its job');
    const warned = linesOf(rig.logs, 'commands cut off at the drain deadline');
    assert.equal(warned.length, 1, JSON.stringify(rig.logs.filter((l) => l['level'] === 40)));
    assert.equal(warned[0]!['level'], 40);
    assert.equal(warned[0]!['cut_off'], 3);
    assert.equal(warned[0]!['drain_timeout_ms'], 200);
    const stopped = rig.logs.findIndex((l) => l['msg'] === 'agent stopped');
    assert.ok(rig.logs.indexOf(warned[0]!) < stopped, 'said before "agent stopped"');
    // The stop cut them off, FreeSWITCH did not time out: an alert on "FreeSWITCH slow" must not fire on every deploy.
    assert.deepEqual(linesOf(rig.logs, 'FreeSWITCH slow: commands timed out'), []);
  });
});

void test('a stop that drains in time says nothing of cut-off commands', async () => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  await withAgent({ port, stop: () => sim.stop() }, {}, async (rig, stopAgent) => {
    assert.equal((await rig.request('{"command":"status"}')).success, true);
    await stopAgent();
    assert.deepEqual(linesOf(rig.logs, 'commands cut off at the drain deadline'), []);
  });
});
