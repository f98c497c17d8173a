// /metrics says what /readyz says (ready, shared lanes joined, cordoned), and the labelled counters
// alerts use are present at 0 from the first scrape: a series born with its first increment makes
// increase() miss that first burst.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode } from '@fsbus/contract';
import { startCluster, until } from './support/cluster.js';
import { httpGet } from './support/http-get.js';

const node = 'node_id="node-1"';

function series(text: string, name: string, labels: string): number | undefined {
  const prefix = `${name}{${labels}} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length));
}

async function stateGauges(port: number): Promise<{ ready: number | undefined; joined: number | undefined; cordoned: number | undefined }> {
  const { body } = await httpGet(port, '/metrics');
  return { ready: series(body, 'fsbus_ready', node), joined: series(body, 'fsbus_shared_lanes_joined', node), cordoned: series(body, 'fsbus_cordoned', node) };
}

void test('/metrics before any request: every error code, forward_to result and unseen-channel table at 0', async () => {
  const cluster = await startCluster();
  try {
    const { body } = await httpGet(cluster.nodes[0]!.agent.httpPort!, '/metrics');
    for (const code of Object.values(BusErrorCode)) assert.equal(series(body, 'fsbus_request_errors_total', `code="${code}",${node}`), 0, code);
    for (const result of ['sent', 'buffered', 'dropped']) assert.equal(series(body, 'fsbus_forward_to_total', `result="${result}",${node}`), 0, result);
    for (const table of ['execute_watches', 'parked']) assert.equal(series(body, 'fsbus_channels_ended_unseen_total', `table="${table}",${node}`), 0, table);
  } finally {
    await cluster.stop();
  }
});

void test('fsbus_ready, fsbus_shared_lanes_joined and fsbus_cordoned follow a cordon and a FreeSWITCH outage', async () => {
  const cluster = await startCluster();
  const { agent, sim } = cluster.nodes[0]!;
  const port = agent.httpPort!;
  const joined = () => (agent.status()['shared_lanes'] as { state: string }).state === 'joined';
  try {
    await until(agent, joined, 'shared lanes joined');
    assert.deepEqual(await stateGauges(port), { ready: 1, joined: 1, cordoned: 0 }, 'up');

    await sim.control.stopListener();
    await until(agent, () => !agent.ready && !joined(), 'FreeSWITCH loss seen');
    assert.deepEqual(await stateGauges(port), { ready: 0, joined: 0, cordoned: 0 }, 'FreeSWITCH away');
    await sim.control.startListener();
    await until(agent, () => agent.ready && joined(), 'FreeSWITCH back');
    assert.deepEqual(await stateGauges(port), { ready: 1, joined: 1, cordoned: 0 }, 'FreeSWITCH back');

    const cordon = await cluster.request('freeswitch.node.node-1', '{"command":"agent.cordon","node_id":"node-1"}');
    assert.equal(cordon.success, true, cordon.message);
    await until(agent, () => !joined(), 'cordoned');
    // Cordoned is ready (as /readyz says), off the shared lanes.
    assert.deepEqual(await stateGauges(port), { ready: 1, joined: 0, cordoned: 1 }, 'cordoned');

    const uncordon = await cluster.request('freeswitch.node.node-1', '{"command":"agent.uncordon","node_id":"node-1"}');
    assert.equal(uncordon.success, true, uncordon.message);
    await until(agent, joined, 'uncordoned');
    assert.deepEqual(await stateGauges(port), { ready: 1, joined: 1, cordoned: 0 }, 'uncordoned');
  } finally {
    await cluster.stop();
  }
});
