// `fsbus hangup <uuid>` without --node where the agents' commands.allowlist leaves out uuid_exists
// (a hardened setup): the lookup is refused (FSBUS_ERR_BUS_COMMAND_DENIED) on every node, and the
// hangup failed with that refusal on a call that was there. It is hung up node by node instead.
// Real nats-server, simulators and agents.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startCliCluster, type CliCluster } from './support/cli-cluster.js';
import { cliEnv, runCli, runCliMany } from './support/run-cli.js';

const IDS = ['node-a', 'node-b'] as const;

void describe('fsbus hangup without --node, uuid_exists not in the allowlist', () => {
  let cluster: CliCluster;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    cluster = await startCliCluster(IDS, { commands: { allowlist: ['status'] } });
    env = cluster.env;
  });
  after(() => cluster?.stop());

  void it('a call on each node is hung up where it is; a uuid no node has says so', async () => {
    const uuids = (await runCliMany(IDS.map((node) => ['originate', 'user/1000', '&park()', '--node', node]), env)).map((placed) => {
      assert.equal(placed.code, 0, placed.err);
      return placed.out.trim();
    });
    // Each waits out its 3 s lookup window (uuid_exists refused everywhere): the three side by side.
    const runs = await runCliMany([...uuids.map((uuid) => ['hangup', uuid, '--timeout', '3000']), ['hangup', '0b6f7e8a-5f5e-4c0e-9c61-1d2b3c4d5e6f', '--timeout', '3000']], env);
    IDS.forEach((node, i) => {
      const [uuid, hangup] = [uuids[i]!, runs[i]!];
      assert.equal(hangup.code, 0, hangup.err);
      assert.equal(hangup.out, `hung up ${uuid}\n`);
      assert.match(hangup.err, new RegExp(`^\\(node ${node}\\)\\n$`));
    });
    const none = runs[IDS.length]!;
    assert.equal(none.code, 1, none.err);
    assert.match(none.err, /^fsbus hangup: FSBUS_ERR_BUS_SESSION_NOT_FOUND: no node has channel 0b6f7e8a-5f5e-4c0e-9c61-1d2b3c4d5e6f \(asked node-a, node-b\)$/m);
  });
});

void it('a uuid that could smuggle text onto a FreeSWITCH line is refused before any node is asked (exit 2)', async () => {
  const res = await runCli(['hangup', 'abc def'], cliEnv({ FSBUS_BROKER_URL: 'nats://127.0.0.1:1' }));
  assert.equal(res.code, 2, res.err);
  assert.match(res.err, /uuid must contain only letters, digits, -, _, \. and :/);
});

void describe('fsbus hangup without --node: a node that cannot be asked and fails the hangup otherwise does not stop the others being tried', () => {
  let cluster: CliCluster;
  before(async () => {
    // Neither may run uuid_exists; node-a may not hang up either (its denylist): node-b has the call.
    cluster = await startCliCluster(IDS, (id) => ({ commands: { allowlist: ['status'], ...(id === 'node-a' ? { denylist: ['hangup'] } : {}) } }));
  });
  after(() => cluster?.stop());

  void it('the call on node-b is hung up there after node-a refused the hangup', async () => {
    const placed = await runCli(['originate', 'user/1000', '&park()', '--node', 'node-b'], cluster.env);
    assert.equal(placed.code, 0, placed.err);
    const uuid = placed.out.trim();
    const hangup = await runCli(['hangup', uuid, '--timeout', '3000'], cluster.env);
    assert.equal(hangup.code, 0, hangup.err);
    assert.equal(hangup.out, `hung up ${uuid}\n`);
    assert.match(hangup.err, /^\(node node-b\)\n$/);
  });
});
