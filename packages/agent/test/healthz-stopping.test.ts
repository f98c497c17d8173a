// A graceful stop drains the commands in flight (up to commands.drain_timeout_ms). /healthz used
// to answer 503 {"status":"down"} as soon as the stop began: a liveness probe that restarts on it
// (systemd, Kubernetes) killed the drain it was waiting for. The process is up and answering:
// /healthz stays 200 (`"stopping"`), /readyz alone says 503 "agent stopping".
// Real nats-server and agent; the simulator's api latency (far beyond the test) holds a `status`
// in flight, so the drain is under way for certain; stopping the simulator then ends it.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Simulator } from '@fsbus/sim';
import { enc, until } from './support/cluster.js';
import { httpGet } from './support/http-get.js';
import { withAgent } from './support/fault-rig.js';

void test('/healthz stays 200 during a graceful stop; /readyz is 503 "agent stopping"', async () => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  await withAgent({ port, stop: () => sim.stop() }, { config: { commands: { drain_timeout_ms: 600_000 } } }, async (rig) => {
    const http = rig.agent.httpPort!;
    assert.deepEqual(JSON.parse((await httpGet(http, '/healthz')).body), { status: 'ok' });
    sim.core.control.setLatency(600_000);
    const reply = rig.client.request('freeswitch.node.node-1', enc('{"command":"status"}'), { timeoutMs: 30_000 }).catch((err: unknown) => err);
    await until(rig.agent, () => rig.counters()['in_flight'] === 1, 'a command in flight');
    const stopped = rig.agent.stop();
    const health = await httpGet(http, '/healthz');
    assert.equal(health.status, 200, health.body);
    assert.deepEqual(JSON.parse(health.body), { status: 'stopping' });
    const ready = await httpGet(http, '/readyz');
    assert.equal(ready.status, 503, ready.body);
    assert.equal((JSON.parse(ready.body) as { reason?: string }).reason, 'agent stopping');
    assert.equal(rig.counters()['in_flight'], 1, 'still draining when asked');
    // FreeSWITCH gone: the command fails, the drain and the stop end.
    await sim.stop();
    await stopped;
    await reply;
  });
});
