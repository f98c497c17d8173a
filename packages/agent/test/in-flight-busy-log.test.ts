// Requests refused past commands.max_in_flight are said at warn level, once per burst (the first at
// once, then a `suppressed` count), not only in each requester's FSBUS_ERR_BUS_BUSY and the audit:
// with log_level warn an overloaded agent would otherwise say nothing.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode } from '@fsbus/contract';
import { startCluster, until } from './support/cluster.js';

const BUSY_LOG = 'commands refused as busy: commands.max_in_flight reached';

void test('requests past max_in_flight: one warn line for the burst with the limit and its key, the rest counted into a suppressed line at stop', async () => {
  const cluster = await startCluster({ config: { commands: { max_in_flight: 1, drain_timeout_ms: 100 } } });
  const { agent, sim, logs } = cluster.nodes[0]!;
  const S = 'freeswitch.node.node-1';
  try {
    // One command held in FreeSWITCH: the agent is at its limit until the stop cuts it off.
    sim.control.setReplyLatency(600_000);
    const held = cluster.request(S, '{"command":"status","timeout_ms":60000}', 60_000).catch(() => undefined);
    await until(agent, () => (agent.status()['counters'] as { in_flight: number }).in_flight === 1, 'a command in flight');
    for (let i = 0; i < 3; i++) assert.equal((await cluster.request(S, '{"command":"status"}')).code, BusErrorCode.BUSY);
    const said = logs.filter((l) => l['msg'] === BUSY_LOG);
    assert.equal(said.length, 1, JSON.stringify(logs.filter((l) => Number(l['level']) >= 40)));
    assert.deepEqual([said[0]!['level'], said[0]!['refused'], said[0]!['max_in_flight'], said[0]!['config']], [40, 1, 1, 'commands.max_in_flight (FSBUS_MAX_IN_FLIGHT)']);
    await agent.stop();
    await held;
    const all = logs.filter((l) => l['msg'] === BUSY_LOG);
    assert.equal(all.length, 2, 'the two that followed, written at the stop');
    assert.deepEqual([all[1]!['suppressed'], all[1]!['refused']], [2, 3]);
  } finally {
    sim.control.setReplyLatency(0);
    await cluster.stop();
  }
});
