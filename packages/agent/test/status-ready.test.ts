// agent.status says whether the node is ready, and why not, in /readyz's words (one rule, not
// rebuilt by monitors): up, FreeSWITCH refusing the password, FreeSWITCH gone, cordoned.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startCluster, until } from './support/cluster.js';
import { httpGet } from './support/http-get.js';

interface Readiness {
  ready: unknown;
  reason: unknown;
}

void test('agent.status ready / not_ready_reason say what /readyz says', async () => {
  const cluster = await startCluster();
  const { agent, sim } = cluster.nodes[0]!;
  const port = agent.httpPort!;
  // Asked on the node's own lane: a node that is not ready is off the shared lanes.
  const overBus = async (): Promise<Readiness & { data: Record<string, unknown> }> => {
    const reply = await cluster.request('freeswitch.node.node-1', '{"command":"agent.status","node_id":"node-1"}');
    assert.equal(reply.success, true, reply.message);
    const data = reply.data as Record<string, unknown>;
    return { ready: data['ready'], reason: data['not_ready_reason'], data };
  };
  const readyz = async (): Promise<Readiness> => {
    const body = JSON.parse((await httpGet(port, '/readyz')).body) as { ready: unknown; reason?: unknown };
    return { ready: body.ready, reason: body.reason };
  };
  try {
    const up = await overBus();
    assert.equal(up.ready, true);
    assert.equal('not_ready_reason' in up.data, false, 'no reason while ready');
    assert.deepEqual(await readyz(), { ready: true, reason: undefined });

    // A refused password: the same reason on every attempt, so both answers are compared whole.
    sim.control.refuseAuth(true);
    sim.control.dropConnections();
    await until(agent, () => !agent.ready && (agent.status()['esl'] as { auth: string }).auth === 'refused', 'password refused');
    const refused = await overBus();
    assert.equal(refused.ready, false);
    assert.equal(refused.reason, 'FreeSWITCH refused the ESL password (authentication refused: -ERR invalid), retrying: check FSBUS_ESL_PASSWORD');
    assert.deepEqual(await readyz(), { ready: false, reason: refused.reason });
    sim.control.refuseAuth(false);
    await until(agent, () => agent.ready, 'password accepted');

    // FreeSWITCH gone: the event connection's state is in the reason (it moves between attempts).
    await sim.control.stopListener();
    await until(agent, () => !agent.ready && agent.eslStatus !== 'ready', 'FreeSWITCH loss seen');
    const gone = await overBus();
    assert.equal(gone.ready, false);
    assert.match(String(gone.reason), /^FreeSWITCH event connection (connecting|reconnecting|disconnected)/);
    assert.match(String((await readyz()).reason), /^FreeSWITCH event connection (connecting|reconnecting|disconnected)/);
    await sim.control.startListener();
    await until(agent, () => agent.ready, 'FreeSWITCH back');

    // Cordoned is ready, as /readyz says.
    const cordon = await cluster.request('freeswitch.node.node-1', '{"command":"agent.cordon","node_id":"node-1"}');
    assert.equal(cordon.success, true, cordon.message);
    await until(agent, () => (agent.status()['shared_lanes'] as { state: string }).state === 'left', 'cordoned');
    const cordoned = await overBus();
    assert.equal(cordoned.ready, true);
    assert.equal('not_ready_reason' in cordoned.data, false);
  } finally {
    await cluster.stop();
  }
});
