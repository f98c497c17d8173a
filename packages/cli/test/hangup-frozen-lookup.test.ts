// `fsbus hangup <uuid>` without --node while one agent is frozen (SIGSTOP), on a real nats-server
// with a real agent and simulator. The operator's review: when the api lane's first lookup
// (uuid_exists, any node) reached the frozen agent, the hangup failed with
// `FSBUS_ERR_CLIENT_TIMEOUT: uuid_exists request: … timed out after 5000 ms`, exit 4, instead of
// asking every node; a call on a healthy node was not hung up. The frozen agent is a raw
// subscriber in the api lane's queue group (and on the broadcast) that never answers; the healthy
// agent is cordoned (off the shared lanes, its own lane and the broadcast still served), so the
// first lookup reaches the silent member for sure: NATS picks a queue member at random.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { connect as natsConnect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { connect, type FsbusClient } from '@fsbus/client';
import { agentUntil, lanesState, startCliCluster, type CliCluster } from './support/cli-cluster.js';
import { runCli } from './support/run-cli.js';

// The tests share nothing but the cluster (a call each): side by side, their lookup windows overlap.
void describe('fsbus hangup without --node: a frozen agent on the api lane', { concurrency: true }, () => {
  let cluster: CliCluster;
  let bus: FsbusClient;
  let raw: NatsConnection;
  let frozen: Subscription[] = [];
  let env: NodeJS.ProcessEnv;
  before(async () => {
    cluster = await startCliCluster(['node-a']);
    env = cluster.env;
    bus = await connect({ servers: cluster.nats.url });
    raw = await natsConnect({ servers: cluster.nats.url, name: 'frozen-agent' });
    const agent = cluster.agents[0]!;
    await bus.node('node-a').request('agent.cordon', { node_id: 'node-a' });
    await agentUntil(agent, () => lanesState(agent) === 'left', 'node-a off the shared lanes');
    // Subscribed as an agent's lanes are, answering nothing: what a SIGSTOP-ped agent does.
    frozen = [raw.subscribe('freeswitch.api', { queue: 'freeswitch.api', callback: () => undefined }), raw.subscribe('freeswitch.broadcast', { callback: () => undefined })];
    await raw.flush();
  });
  after(async () => {
    for (const s of frozen) s.unsubscribe();
    await raw?.close();
    await bus?.close();
    await cluster?.stop();
  });

  const originate = async (): Promise<string> => {
    const call = await runCli(['originate', 'user/1000', '&park()', '--node', 'node-a'], env);
    assert.equal(call.code, 0, call.err);
    return call.out.trim();
  };

  for (const timeout of [['--timeout', '1000'], []]) {
    void it(`the call on the healthy node is hung up there (${timeout.length === 0 ? 'default window' : timeout.join(' ')})`, async () => {
      const uuid = await originate();
      const hangup = await runCli(['hangup', uuid, ...timeout], env);
      assert.equal(hangup.code, 0, hangup.err);
      assert.equal(hangup.out, `hung up ${uuid}\n`);
      assert.equal(hangup.err, '(node node-a)\n');
      assert.equal((await bus.node('node-a').api('uuid_exists', uuid)).trim(), 'false');
    });
  }

  void it('a uuid no node has: the nodes that answered are named, exit 1', async () => {
    const uuid = '0b6f7e8a-5f5e-4c0e-9c61-1d2b3c4d5e6f';
    const none = await runCli(['hangup', uuid, '--timeout', '1000'], env);
    assert.equal(none.code, 1, none.err);
    assert.equal(none.out, '');
    assert.match(none.err, new RegExp(`^fsbus hangup: FSBUS_ERR_BUS_SESSION_NOT_FOUND: no node has channel ${uuid} \\(asked node-a\\)$`, 'm'));
  });
});
