// Operations: metrics, health, FreeSWITCH outage, concurrency bound, graceful shutdown.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { BusErrorCode } from '@fsbus/contract';
import { startBrokerRelay, startMosquitto } from '@fsbus/testkit';
import { startCluster, until, type Cluster } from './support/cluster.js';
import { httpGet } from './support/http-get.js';

function metric(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const slowOriginate = (cluster: Cluster, ms: number) => {
  cluster.nodes[0]!.sim.core.control.setEndpointBehavior('user/slow', { answer: 'answer', delayMs: ms });
  return '{"command":"originate","endpoint":"user/slow","extension":"&park()"}';
};

void test('/metrics counters move; /healthz and /readyz follow the connections', async () => {
  const cluster = await startCluster();
  const { agent } = cluster.nodes[0]!;
  const port = agent.httpPort!;
  try {
    assert.equal((await httpGet(port, '/healthz')).status, 200);
    const ready = await httpGet(port, '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(JSON.parse(ready.body), { ready: true, broker: 'connected', esl: 'ready' });
    const before = (await httpGet(port, '/metrics')).body;
    for (let i = 0; i < 3; i++) await cluster.request('freeswitch.node.node-1', '{"command":"status"}');
    await cluster.request('freeswitch.node.node-1', '{"command":""}');
    const after = await httpGet(port, '/metrics');
    assert.equal(after.status, 200);
    assert.equal(metric(after.body, 'fsbus_requests_total', 'lane="direct",result="ok"') - metric(before, 'fsbus_requests_total', 'lane="direct",result="ok"'), 3);
    assert.equal(metric(after.body, 'fsbus_request_errors_total', `code="${BusErrorCode.MISSING_COMMAND}"`), 1);
    assert.equal(metric(after.body, 'fsbus_broker_connected', 'node_id="node-1"'), 1);
    assert.equal(metric(after.body, 'fsbus_esl_connected', 'node_id="node-1"'), 1);
    // The process's own health, under prom-client's default names.
    const node = 'node_id="node-1"';
    const rss = metric(after.body, 'process_resident_memory_bytes', node);
    assert.ok(rss > 10e6 && rss < 10e9, `rss ${rss}`);
    assert.ok(metric(after.body, 'nodejs_heap_size_used_bytes', node) > 1e6);
    assert.ok(metric(after.body, 'nodejs_heap_size_total_bytes', node) >= metric(after.body, 'nodejs_heap_size_used_bytes', node));
    assert.ok(metric(after.body, 'process_cpu_seconds_total', node) > 0);
    const started = metric(after.body, 'process_start_time_seconds', node);
    assert.ok(started > 1.7e9 && started <= Date.now() / 1000, `start ${started}`);
    assert.equal((await httpGet(port, '/nope')).status, 404);
  } finally {
    await cluster.stop();
  }
});

void test('FreeSWITCH away: commands get an error envelope, not silence; back: the agent reconnects', async () => {
  const cluster = await startCluster();
  const { agent, sim } = cluster.nodes[0]!;
  try {
    await sim.control.stopListener();
    await until(agent, () => !agent.ready, 'ESL loss seen');
    assert.equal((await httpGet(agent.httpPort!, '/readyz')).status, 503);
    const r = await cluster.request('freeswitch.node.node-1', '{"command":"status","correlation_id":"down"}');
    assert.equal(r.success, false);
    assert.equal(r.code, BusErrorCode.FREESWITCH_UNAVAILABLE);
    assert.equal(r.correlation_id, 'down');
    // Built-ins that need no FreeSWITCH still answer.
    assert.equal((await cluster.request('freeswitch.node.node-1', '{"command":"agent.status"}')).success, true);
    await sim.control.startListener();
    await until(agent, () => agent.ready, 'ESL back');
    assert.equal((await cluster.request('freeswitch.node.node-1', '{"command":"status"}')).success, true);
    const esl = (agent.status()['esl'] as { reconnects: number }).reconnects;
    assert.ok(esl >= 1);
    assert.match(await agent.metrics.registry.metrics(), /fsbus_reconnects_total\{target="esl",node_id="node-1"\} [1-9]/);
  } finally {
    await cluster.stop();
  }
});

// A relay drops the agent's next MQTT connection right after the broker's CONNACK.
void test('fsbus_reconnects_total{target="broker"} follows the driver: an MQTT connection the broker drops before the agent is back counts too', async () => {
  const mosquitto = await startMosquitto();
  const relay = await startBrokerRelay(mosquitto.port);
  // The agent goes through the relay, the test's client straight to the broker.
  const broker = { url: `mqtt://127.0.0.1:${relay.port}`, halt: () => mosquitto.halt(), start: () => mosquitto.start(), stop: () => relay.close().then(() => mosquitto.stop()) };
  const cluster = await startCluster({ driver: 'mqtt', startBroker: () => Promise.resolve(broker), clientUrls: [mosquitto.url] });
  const { agent } = cluster.nodes[0]!;
  const brokerReconnects = async () => metric(await agent.metrics.registry.metrics(), 'fsbus_reconnects_total', 'target="broker"');
  try {
    assert.equal(await brokerReconnects(), 0);
    relay.dropNext();
    await until(agent, () => agent.brokerStatus === 'reconnecting', 'broker loss seen');
    await until(agent, () => agent.brokerStatus === 'connected', 'broker back');
    // The connection dropped after its CONNACK, then the one that lasted: one `connected` between them.
    assert.equal(agent.driver!.stats().reconnects, 2);
    assert.equal((agent.status()['broker'] as { reconnects: number }).reconnects, 2);
    assert.equal(await brokerReconnects(), 2);
    assert.equal(await brokerReconnects(), 2, 'a second scrape adds nothing');
    assert.equal((await cluster.request('freeswitch.node.node-1', '{"command":"status"}')).success, true);
  } finally {
    await cluster.stop();
  }
});

void test('a slow command does not hold up other commands', async () => {
  const cluster = await startCluster();
  try {
    let slowDone = false;
    const slow = cluster.request('freeswitch.node.node-1', slowOriginate(cluster, 1500)).then((r) => {
      slowDone = true;
      return r;
    });
    const agent = cluster.nodes[0]!.agent;
    await until(agent, () => (agent.status()['counters'] as { in_flight: number }).in_flight === 1, 'slow command in flight');
    for (let i = 0; i < 5; i++) {
      assert.equal((await cluster.request('freeswitch.node.node-1', '{"command":"version"}')).success, true);
      assert.equal(slowDone, false, 'a fast command waited for the slow one');
    }
    assert.equal((await slow).success, true);
  } finally {
    await cluster.stop();
  }
});

void test('past the in-flight bound, requests get a busy error envelope', async () => {
  const cluster = await startCluster({ config: { commands: { max_in_flight: 1 } } });
  try {
    const agent = cluster.nodes[0]!.agent;
    const slow = cluster.request('freeswitch.node.node-1', slowOriginate(cluster, 1000));
    await until(agent, () => (agent.status()['counters'] as { in_flight: number }).in_flight === 1, 'slow command in flight');
    const busy = await cluster.request('freeswitch.node.node-1', '{"command":"status"}');
    assert.equal(busy.success, false);
    assert.equal(busy.code, BusErrorCode.BUSY);
    // agent.status waits on nothing: a busy node still answers it (a dashboard's poll refused as
    // busy read as the node gone).
    const status = await cluster.request('freeswitch.node.node-1', '{"command":"agent.status"}');
    assert.equal(status.success, true, JSON.stringify(status));
    // Nor does agent.cordon: an overloaded node is the one an operator drains.
    const cordon = await cluster.request('freeswitch.node.node-1', '{"command":"agent.cordon","node_id":"node-1"}');
    assert.equal(cordon.success, true, JSON.stringify(cordon));
    assert.equal((await cluster.request('freeswitch.node.node-1', '{"command":"agent.uncordon","node_id":"node-1"}')).success, true);
    assert.equal((await slow).success, true);
    assert.equal((await cluster.request('freeswitch.node.node-1', '{"command":"status"}')).success, true);
  } finally {
    await cluster.stop();
  }
});

void test('graceful shutdown answers the commands in flight before closing', async () => {
  const cluster = await startCluster();
  try {
    const agent = cluster.nodes[0]!.agent;
    const slow = cluster.request('freeswitch.node.node-1', slowOriginate(cluster, 800), 10_000);
    await until(agent, () => (agent.status()['counters'] as { in_flight: number }).in_flight === 1, 'slow command in flight');
    await agent.stop();
    const r = await slow;
    assert.equal(r.success, true, JSON.stringify(r));
    assert.match((r.data as { result: string }).result, /^\+OK/);
    assert.equal(agent.brokerStatus, 'closed');
  } finally {
    await cluster.stop();
  }
});

void test('a forward_to copy the buffer cannot keep is counted as a forward, not as an event dropped', async () => {
  // No FreeSWITCH event is published (only HEARTBEAT, and the simulator sends none) and nothing
  // is buffered; the agent's own agent_start (it passes any include list) is confirmed before the outage.
  const cluster = await startCluster({ config: { events: { include: ['HEARTBEAT'] }, broker: { buffer_messages: 0 } } });
  const { agent, sim } = cluster.nodes[0]!;
  const S = 'freeswitch.node.node-1';
  try {
    sim.core.control.setEndpointBehavior('user/2000', { answer: 'answer' });
    const uuid = randomUUID();
    assert.equal((await cluster.request(S, JSON.stringify({ command: 'originate', endpoint: 'user/2000', extension: '&park()', uuid }))).success, true);
    // Waits for digits (no timeout that could fire first): the completion comes when the test says.
    const args = '1 1 1 3600000 # silence_stream://100 /invalid.wav my_digits \\d';
    const r = await cluster.request(S, JSON.stringify({ command: 'execute_app', uuid, app: 'play_and_get_digits', args, forward_to: 'observers.done' }));
    assert.equal(r.success, true, JSON.stringify(r));
    await agent.driver!.flush();
    await cluster.broker.halt();
    await until(agent, () => agent.brokerStatus !== 'connected', 'broker loss seen');
    assert.equal(sim.core.control.sendDigits(uuid, '1'), true);
    const counters = () => agent.status()['counters'] as { events_dropped: number; forwards_dropped: number };
    await until(agent, () => counters().forwards_dropped === 1, 'the completion copy dropped');
    assert.equal(agent.driver!.stats().dropped, 1);
    assert.equal(counters().events_dropped, 0);
    const text = await agent.metrics.registry.metrics();
    assert.equal(metric(text, 'fsbus_events_dropped_total', 'node_id="node-1"'), 0);
    assert.equal(metric(text, 'fsbus_forward_to_total', 'result="dropped"'), 1);
  } finally {
    await cluster.stop();
  }
});

void test('FreeSWITCH not answering: past the ESL pending limit, commands get busy, not internal', async () => {
  const cluster = await startCluster({ config: { esl: { pool_size: 1, max_pending: 2 } } });
  const { agent, sim, logs } = cluster.nodes[0]!;
  const S = 'freeswitch.node.node-1';
  try {
    sim.control.setReplyLatency(600_000);
    // Timed out here, still waiting in FreeSWITCH: each keeps its reply slot.
    for (let i = 0; i < 2; i++) assert.equal((await cluster.request(S, '{"command":"status","timeout_ms":50}')).code, BusErrorCode.TIMEOUT);
    const replies = await Promise.all(Array.from({ length: 5 }, () => cluster.request(S, '{"command":"status"}')));
    for (const r of replies) {
      assert.equal(r.success, false);
      assert.equal(r.code, BusErrorCode.BUSY, JSON.stringify(r));
    }
    assert.deepEqual(logs.filter((l) => l['msg'] === 'command failed unexpectedly'), []);
    // One warning for the burst, not one per request.
    assert.equal(logs.filter((l) => l['level'] === 40 && String(l['msg']).includes('not answering')).length, 1);
    assert.equal(metric(await agent.metrics.registry.metrics(), 'fsbus_request_errors_total', `code="${BusErrorCode.BUSY}"`), 5);
  } finally {
    sim.control.setReplyLatency(0);
    await cluster.stop();
  }
});

void test('shutdown past drain_timeout_ms cuts an originate off: the reply still names the uuid and the job', async () => {
  const cluster = await startCluster({ config: { commands: { drain_timeout_ms: 100 } } });
  const { agent, sim } = cluster.nodes[0]!;
  try {
    // Rings far longer than the drain bound: the agent closes FreeSWITCH's connection under it.
    sim.core.control.setEndpointBehavior('user/slow', { answer: 'answer', delayMs: 600_000 });
    const uuid = randomUUID();
    const slow = cluster.request('freeswitch.node.node-1', JSON.stringify({ command: 'originate', endpoint: 'user/slow', extension: '&park()', uuid }), 10_000);
    await until(agent, () => (agent.status()['counters'] as { in_flight: number }).in_flight === 1, 'originate in flight');
    await agent.stop();
    const r = await slow;
    assert.equal(r.success, false);
    assert.equal(r.code, BusErrorCode.TIMEOUT, JSON.stringify(r));
    const d = r.data as { uuid: string; job_uuid: string };
    assert.equal(d.uuid, uuid);
    assert.match(d.job_uuid, /^[0-9a-f-]{36}$/);
  } finally {
    await cluster.stop();
  }
});
