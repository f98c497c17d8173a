// A FreeSWITCH that stops answering in time is said at warn level, once per burst (the first at
// once, then a `suppressed` count), not only in each requester's FSBUS_ERR_BUS_TIMEOUT.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode } from '@fsbus/contract';
import { startCluster } from './support/cluster.js';

const SLOW_LOG = 'FreeSWITCH slow: commands timed out';

void test('commands timing out in FreeSWITCH: one warn line for the burst, the rest counted into a suppressed line at stop', async () => {
  const cluster = await startCluster();
  const { agent, sim, logs } = cluster.nodes[0]!;
  try {
    sim.control.setReplyLatency(600_000);
    for (let i = 0; i < 3; i++) assert.equal((await cluster.request('freeswitch.node.node-1', '{"command":"status","timeout_ms":50}')).code, BusErrorCode.TIMEOUT);
    const said = logs.filter((l) => l['msg'] === SLOW_LOG);
    assert.equal(said.length, 1, JSON.stringify(logs.filter((l) => Number(l['level']) >= 40)));
    assert.deepEqual([said[0]!['level'], said[0]!['timed_out'], said[0]!['cmd']], [40, 1, 'status']);
    await agent.stop();
    const all = logs.filter((l) => l['msg'] === SLOW_LOG);
    assert.equal(all.length, 2, 'the two that followed, written at the stop');
    assert.deepEqual([all[1]!['suppressed'], all[1]!['timed_out']], [2, 3]);
  } finally {
    sim.control.setReplyLatency(0);
    await cluster.stop();
  }
});
