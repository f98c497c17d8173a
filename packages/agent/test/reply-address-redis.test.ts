// Redis: a request's `reply_to` is the key the agent's reply is written into (XADD + PEXPIRE). One
// naming the agent's own lane stream put the reply entry there and an expiry on the lane (the lane
// then expired with whatever waited in it). The agent does not run such a request (its requester
// could never learn the outcome; one that retries would run the command twice), counts it as
// refused and logs it; SDK requests are answered as ever; forward_to cannot name a key.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Redis } from 'ioredis';
import { startRedis } from '@fsbus/testkit';
import { startCluster, type Cluster } from './support/cluster.js';

const LANE = 'freeswitch:lane:freeswitch.api';
const MARKS = 'freeswitch:serving:freeswitch.api';

let cluster: Cluster;
before(async () => {
  cluster = await startCluster({ nodes: 1, driver: 'redis', startBroker: () => startRedis() });
});
after(() => cluster.stop());

/** Every entry of the lane is a request (`subject` first), none a reply written into it. */
async function laneHoldsRequestsOnly(raw: Redis): Promise<void> {
  for (const [id, fields] of await raw.xrange(LANE, '-', '+')) assert.equal(fields[0], 'subject', `entry ${id} is not a request: ${fields.join(' ')}`);
}

void test('forward_to cannot name a key on Redis: it is a subject, its lane stream `<ns>:lane:<subject>` written only where one exists', async () => {
  const raw = new Redis(cluster.broker.url);
  try {
    for (const target of [LANE, MARKS]) {
      // The copy is a Pub/Sub message on the subject: once it arrived, all it touched was touched.
      let copied!: () => void;
      const copy = new Promise<void>((resolve) => (copied = resolve));
      const sub = cluster.client.subscribe(target, () => copied());
      await cluster.client.flush();
      const reply = await cluster.request('freeswitch.api', JSON.stringify({ command: 'status', forward_to: target }));
      assert.equal(reply.success, true, reply.message);
      await copy;
      await sub.unsubscribe();
    }
    assert.equal(await raw.pttl(LANE), -1);
    await laneHoldsRequestsOnly(raw);
    assert.equal(await raw.type(MARKS), 'zset');
    assert.equal(await raw.exists(`freeswitch:lane:${LANE}`, `freeswitch:lane:${MARKS}`), 0, 'no stream made for the copy');
  } finally {
    raw.disconnect();
  }
});

void test("a request whose reply_to names the agent's own lane is not run: the lane gets no expiry and no entry, the refusal is counted and logged; an SDK request is still answered", async () => {
  const [node] = cluster.nodes;
  const raw = new Redis(cluster.broker.url);
  const counters = () => node!.agent.status()['counters'] as Record<string, number>;
  const received = counters()['requests_received']!;
  try {
    // The reviewer's reproduction, then the serving marks (a sorted set: was WRONGTYPE).
    await raw.xadd(LANE, '*', 'subject', 'freeswitch.api', 'data', '{"command":"status"}', 'reply_to', LANE, 'correlation_id', 'x1');
    await raw.xadd(LANE, '*', 'subject', 'freeswitch.api', 'data', '{"command":"status"}', 'reply_to', MARKS, 'correlation_id', 'x2');
    // Read after them on the same lane and run in order: once this is answered, they were handled.
    const fresh = await cluster.request('freeswitch.api', '{"command":"status"}');
    assert.equal(fresh.success, true, fresh.message);
    assert.equal(await raw.pttl(LANE), -1, 'the lane stream got no expiry');
    await laneHoldsRequestsOnly(raw);
    assert.equal(await raw.type(MARKS), 'zset');
    const refused = node!.logs.filter((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('redis request whose reply_to is not a reply stream'));
    assert.equal(refused.length, 1, 'logged at once (the second one in the burst summary)');
    assert.equal(refused[0]!['subject'], 'freeswitch.api');
    assert.equal(refused[0]!['reply_to'], LANE);
    assert.ok(!node!.logs.some((l) => l['msg'] === 'publish failed, dropped'), 'nothing was sent for Redis to refuse');
    // Not run, refused (as Kafka refuses its unanswerable requests): nothing dropped.
    assert.equal(counters()['requests_received'], received + 1, 'only the SDK request ran');
    assert.equal(counters()['requests_refused'], 2);
    assert.equal(counters()['events_dropped'], 0);
    assert.match(await node!.agent.metrics.registry.metrics(), /^fsbus_requests_refused_total\{node_id="node-1"\} 2$/m);
  } finally {
    raw.disconnect();
  }
});
