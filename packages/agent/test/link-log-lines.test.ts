// What the log says when a link is lost and when it comes back. Losing the broker is a warning, as
// losing FreeSWITCH is (it used to be an info line), and getting it back is info. FreeSWITCH coming
// back used to leave the last line at "not reachable, retrying": one info line now says it is
// connected, at the first connect and after each loss, not one per command connection.
// Real nats-server (stopped and started on its port) and simulator.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Simulator } from '@fsbus/sim';
import { startNatsServer } from '@fsbus/testkit';
import { until } from './support/cluster.js';
import { linesOf, startAgent } from './support/fault-rig.js';

const WARN = 40;
const INFO = 30;

void test('the broker lost is a warn line, back again an info line', async () => {
  const nats = await startNatsServer();
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const rig = await startAgent({ eslPort: port, brokerUrl: nats.url });
  try {
    const { agent, logs } = rig;
    await nats.halt();
    await until(agent, () => agent.brokerStatus === 'reconnecting', 'broker reconnecting');
    await nats.start();
    await until(agent, () => agent.ready, 'ready again');
    const statuses = linesOf(logs, 'broker status').map((l) => [l['status'], l['level']]);
    assert.deepEqual(statuses, [
      ['connected', INFO],
      ['reconnecting', WARN],
      ['connected', INFO],
    ]);
  } finally {
    await rig.stop();
    await sim.stop();
    await nats.stop();
  }
});

void test('FreeSWITCH connected is said once at the first connect and once when it is back after a loss, whatever the pool size', async () => {
  const nats = await startNatsServer();
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const rig = await startAgent({ eslPort: port, brokerUrl: nats.url, config: { esl: { pool_size: 3 } } });
  try {
    const { agent, logs } = rig;
    const first = linesOf(logs, 'FreeSWITCH connected');
    assert.equal(first.length, 1, JSON.stringify(logs));
    assert.equal(first[0]!['level'], INFO);
    assert.equal(first[0]!['host'], '127.0.0.1');
    assert.equal(first[0]!['port'], port);
    const ready = first[0]!['command_connections_ready'];
    assert.ok(typeof ready === 'number' && ready >= 1 && ready <= 3, String(ready));
    assert.equal(first[0]!['pool_size'], 3);

    sim.control.dropConnections();
    await until(agent, () => !agent.ready, 'the loss noticed');
    await until(agent, () => agent.ready, 'ready again');
    const back = linesOf(logs, 'FreeSWITCH connected again');
    assert.equal(back.length, 1, JSON.stringify(logs));
    assert.equal(back[0]!['level'], INFO);
    assert.equal(back[0]!['port'], port);
    assert.equal(linesOf(logs, 'FreeSWITCH connected').length, 1, 'the first-connect line is not said again');
  } finally {
    await rig.stop();
    await sim.stop();
    await nats.stop();
  }
});
