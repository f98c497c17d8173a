// MQTT: a request's Response Topic is where the agent PUBLISHes its reply. The reviewer's
// reproduction: a raw MQTT 5 request with the Response Topic `resp/#`; Mosquitto accepts it, then
// disconnected the agent for PUBLISHing its reply to a wildcard, and the reply went again on every
// reconnect: the agent stayed `reconnecting` and SDK requests got no responders. The agent now does
// not run such a request (its requester could never learn the outcome; one that retries would run
// the command twice), counts it as refused, logs it, and stays connected.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connectAsync } from 'mqtt';
import { startMosquitto } from '@fsbus/testkit';
import { startCluster, type Cluster } from './support/cluster.js';

let cluster: Cluster;
before(async () => {
  cluster = await startCluster({ nodes: 1, driver: 'mqtt', startBroker: () => startMosquitto() });
});
after(() => cluster.stop());

void test('a request whose Response Topic is a wildcard is not run, counted as refused and logged; the agent stays connected and answers the next requests', async () => {
  const [node] = cluster.nodes;
  const raw = await connectAsync(cluster.broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
  try {
    await raw.publishAsync('freeswitch/api', '{"command":"status"}', { qos: 1, properties: { responseTopic: 'resp/#', correlationData: Buffer.from('x1') } });
    // Read after it on the same lane, by the one agent: once these are answered, it was handled.
    for (let i = 0; i < 3; i++) {
      const r = await cluster.request('freeswitch.api', `{"command":"status","correlation_id":"n${i}"}`);
      assert.equal(r.success, true, r.message);
      assert.equal(r.correlation_id, `n${i}`);
    }
    const status = node!.agent.status();
    assert.deepEqual(status['broker'], { status: 'connected', reconnects: 0, buffered_now: 0 });
    const counters = status['counters'] as Record<string, number>;
    assert.equal(counters['requests_received'], 3, 'the refused one did not run');
    // Refused, as on Redis, Kafka, NATS and RabbitMQ: nothing was dropped.
    assert.equal(counters['requests_refused'], 1);
    assert.equal(counters['events_dropped'], 0);
    assert.equal(counters['replies_dropped'], 0);
    const metrics = await node!.agent.metrics.registry.metrics();
    assert.match(metrics, /^fsbus_requests_refused_total\{node_id="node-1"\} 1$/m);
    assert.match(metrics, /^fsbus_events_dropped_total\{node_id="node-1"\} 0$/m);
    const refused = node!.logs.filter((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('mqtt request whose Response Topic'));
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!['subject'], 'freeswitch.api');
    assert.equal(refused[0]!['response_topic'], 'resp/#');
    assert.equal(refused[0]!['level'], 40);
  } finally {
    await raw.endAsync(true);
  }
});
