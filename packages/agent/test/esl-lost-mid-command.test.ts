// FreeSWITCH's connection lost while a command waits for its answer: the command was written to
// FreeSWITCH, so it may have run. The reply said only "FreeSWITCH connection lost", the words of
// a command never sent being "FreeSWITCH is not connected": a caller could not tell a retry safe
// from one that may run a non-idempotent command twice without reading that difference.
// Real nats-server and agent; the simulator's api latency holds the command for certain.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, decodeReply } from '@fsbus/contract';
import { Simulator } from '@fsbus/sim';
import { enc, until } from './support/cluster.js';
import { withAgent } from './support/fault-rig.js';

void test('a command whose Event Socket connection is lost under it: FREESWITCH_UNAVAILABLE saying it may have run', async () => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  await withAgent({ port, stop: () => sim.stop() }, {}, async (rig) => {
    assert.equal((await rig.request('{"command":"status"}')).success, true);
    sim.core.control.setLatency(600_000);
    const reply = rig.client.request('freeswitch.node.node-1', enc('{"command":"status"}'), { timeoutMs: 30_000 });
    await until(rig.agent, () => rig.counters()['in_flight'] === 1, 'the command in flight');
    sim.control.dropConnections();
    const r = decodeReply((await reply).data);
    assert.equal(r.success, false, JSON.stringify(r));
    assert.equal(r.code, BusErrorCode.FREESWITCH_UNAVAILABLE, JSON.stringify(r));
    assert.equal(r.message, 'FreeSWITCH connection lost while the command waited for its answer: it may have run');
  });
});
