// A request the broker kept past its requester's deadline (Redis here; Kafka and ZeroMQ carry the
// same deadline) is not run by the agent: agent.status counts it and the log says how late it came.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
import { startCluster, type Cluster } from './support/cluster.js';

let cluster: Cluster;
before(async () => {
  cluster = await startCluster({ nodes: 1, driver: 'redis', startBroker: () => startRedis() });
});
after(() => cluster.stop());

void test('a request read after its requester stopped waiting is not run, is counted in agent.status and logged with how late it came', async () => {
  const [node] = cluster.nodes;
  const raw = new Redis(cluster.broker.url);
  try {
    // As the Redis driver writes a request to the shared api lane, its deadline a minute gone.
    const late = JSON.stringify({ command: 'originate', args: 'user/1000 &park()', correlation_id: 'late' });
    await raw.xadd('freeswitch:lane:freeswitch.api', '*', 'subject', 'freeswitch.api', 'data', late, 'reply_to', 'nobody', 'correlation_id', 'late', 'headers', '', 'expires', String(Date.now() - 60_000));
  } finally {
    raw.disconnect();
  }
  // Read after it on the same lane: once this is answered, the late one was passed over.
  const fresh = await cluster.request('freeswitch.api', '{"command":"status"}');
  assert.equal(fresh.success, true, fresh.message);
  const counters = node!.agent.status()['counters'] as Record<string, number>;
  assert.equal(counters['requests_expired'], 1);
  assert.match(await node!.sim.core.api('show', 'channels count'), /^0 total\./m, 'the late originate did not run');
  const line = node!.logs.find((l) => l['msg'] === 'request arrived after its requester stopped waiting: skipped, not run');
  assert.ok(line !== undefined, 'logged');
  assert.equal(line['subject'], 'freeswitch.api');
  assert.ok((line['late_ms'] as number) >= 60_000);
  assert.match(await node!.agent.metrics.registry.metrics(), /^fsbus_requests_expired_total\{[^}]*\} 1$/m);
});
