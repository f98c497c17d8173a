// /metrics of a real agent: the build info, the driver's outgoing buffer, and the counters alerts
// use present from the first scrape (a series that appears only with its first increment makes
// rate() and "absent" alerts miss the start).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { AGENT_VERSION } from '@fsbus/agent';
import { emitCustom, eslTo, startCluster, until } from './support/cluster.js';
import { httpGet } from './support/http-get.js';

/** The value of the one series of `name` whose labels are exactly `labels` (in prom-client's order), or undefined. */
function series(text: string, name: string, labels: string): number | undefined {
  const prefix = `${name}{${labels}} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length));
}

void test('/metrics before any request: build info, an empty buffer, and every request and reconnect series at 0', async () => {
  const cluster = await startCluster();
  try {
    const { body } = await httpGet(cluster.nodes[0]!.agent.httpPort!, '/metrics');
    const node = 'node_id="node-1"';
    assert.equal(series(body, 'fsbus_build_info', `version="${AGENT_VERSION}",driver="nats",${node}`), 1, 'fsbus_build_info');
    assert.equal(series(body, 'fsbus_broker_buffered_messages', node), 0, 'fsbus_broker_buffered_messages');
    for (const target of ['broker', 'esl']) assert.equal(series(body, 'fsbus_reconnects_total', `target="${target}",${node}`), 0, `reconnects ${target}`);
    for (const lane of ['api', 'direct', 'broadcast', 'async']) {
      for (const result of ['ok', 'err']) assert.equal(series(body, 'fsbus_requests_total', `lane="${lane}",result="${result}",${node}`), 0, `requests ${lane} ${result}`);
    }
  } finally {
    await cluster.stop();
  }
});

void test('fsbus_broker_buffered_messages follows what waits in the driver while the broker is away', async () => {
  // The broker stays away: the stop waits for it no more than a short shutdown budget allows.
  const cluster = await startCluster({ config: { shutdown_timeout_ms: 1000 } });
  const { agent, sim } = cluster.nodes[0]!;
  const esl = await eslTo(sim);
  try {
    await cluster.broker.halt();
    await until(agent, () => agent.brokerStatus !== 'connected', 'the broker seen away');
    await emitCustom(esl, 'test::buffered', 5);
    const buffered = () => (agent.status()['broker'] as { buffered_now: number }).buffered_now;
    await until(agent, () => buffered() >= 5, 'five events buffered');
    const { body } = await httpGet(agent.httpPort!, '/metrics');
    assert.equal(series(body, 'fsbus_broker_buffered_messages', 'node_id="node-1"'), buffered());
  } finally {
    await esl.close();
    await cluster.stop();
  }
});
