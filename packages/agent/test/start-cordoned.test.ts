// `commands.start_cordoned` (FSBUS_START_CORDONED): an agent upgraded in a maintenance window came
// back on the shared lanes as soon as its FreeSWITCH was ready (a cordon is not kept across a
// restart). Started with the setting it is cordoned from the start: its own lane and broadcast
// served, the shared lanes never joined until `agent.uncordon`. One agent, a real nats-server.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ConfigError, loadConfig, type Agent } from '@fsbus/agent';
import { TransportError, TransportErrorCode } from '@fsbus/transport';
import { unknownEnv } from '../src/config/unknown-env.js';
import { startCluster, until, type Cluster } from './support/cluster.js';

const shared = (agent: Agent) => agent.status()['shared_lanes'] as { state: string; cordoned: boolean } | undefined;
const joinedLine = (l: Record<string, unknown>) => typeof l['msg'] === 'string' && l['msg'].endsWith('joined the shared lanes');

void describe('commands.start_cordoned: the agent starts cordoned', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ nodes: 1, config: { commands: { start_cordoned: true } } });
  });
  after(() => cluster.stop());

  void test('ready, cordoned from the start: own lane answers, the shared lane has no responders; uncordon joins', async () => {
    const n1 = cluster.nodes[0]!;
    assert.equal(n1.agent.ready, true);
    assert.deepEqual(shared(n1.agent), { state: 'left', cordoned: true });
    const st = await cluster.request('freeswitch.node.node-1', '{"command":"agent.status"}');
    assert.equal(st.success, true, st.message);
    assert.deepEqual((st.data as { shared_lanes: unknown }).shared_lanes, { state: 'left', cordoned: true });
    assert.equal((await cluster.request('freeswitch.node.node-1', '{"command":"status"}')).success, true);
    await assert.rejects(cluster.request('freeswitch.api', '{"command":"status"}'), (err: unknown) => err instanceof TransportError && err.code === TransportErrorCode.NO_RESPONDERS);
    // Never joined, not even for a moment before the cordon: the start says so in a line of its own.
    assert.equal(n1.logs.filter(joinedLine).length, 0, JSON.stringify(n1.logs.map((l) => l['msg'])));
    const said = n1.logs.find((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('started cordoned (commands.start_cordoned)'));
    assert.ok(said !== undefined, JSON.stringify(n1.logs.map((l) => l['msg'])));
    assert.equal(said['level'], 30);

    const un = await cluster.request('freeswitch.node.node-1', '{"command":"agent.uncordon"}');
    assert.equal(un.success, true, un.message);
    await until(n1.agent, () => shared(n1.agent)?.state === 'joined', 'node-1 uncordoned');
    assert.deepEqual(shared(n1.agent), { state: 'joined', cordoned: false });
    const taken = await cluster.request('freeswitch.api', '{"command":"status"}');
    assert.deepEqual([taken.success, taken.node_id], [true, 'node-1']);
    assert.ok(n1.logs.some((l) => l['msg'] === 'node uncordoned: joined the shared lanes'), JSON.stringify(n1.logs.map((l) => l['msg'])));
  });
});

void test('FSBUS_START_CORDONED is read as the other booleans are; default off; a bad value names the variable', () => {
  const load = (env: Record<string, string>) => loadConfig({ values: { node_id: 'n1' }, env });
  assert.equal(load({}).commands.start_cordoned, false);
  for (const on of ['true', '1', 'yes', 'on']) assert.equal(load({ FSBUS_START_CORDONED: on }).commands.start_cordoned, true, on);
  for (const off of ['false', '0', 'no', 'off']) assert.equal(load({ FSBUS_START_CORDONED: off }).commands.start_cordoned, false, off);
  assert.equal(loadConfig({ values: { node_id: 'n1', commands: { start_cordoned: true } }, env: { FSBUS_START_CORDONED: 'false' } }).commands.start_cordoned, false, 'env wins');
  assert.throws(
    () => load({ FSBUS_START_CORDONED: 'maybe' }),
    (err: unknown) => err instanceof ConfigError && err.field === 'FSBUS_START_CORDONED' && /expected true or false/.test(err.message),
  );
  assert.deepEqual(unknownEnv({ FSBUS_START_CORDONED: 'true' }), [], 'a variable the agent reads');
});
