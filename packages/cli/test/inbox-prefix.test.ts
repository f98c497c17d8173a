// --inbox-prefix / FSBUS_INBOX_PREFIX: a CLI user allowed to subscribe only to its own inbox
// namespace (`_INBOX_alice.>`) gets its replies there; without the prefix they cannot reach it.
// `fsbus web` takes the same flag to its dashboard's bus. NATS only: with another driver, refused.
// Real nats-server with per-user permissions, real agent, simulated FreeSWITCH; the CLI as a child.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { startNodeWithUsers, type UsersNode } from '../../client/test/support/nats-users.js';
import { webOptions } from '../src/commands/web.js';
import { cliEnv, runCli } from './support/run-cli.js';
import { runMain } from './support/run-main.js';

const ALICE = { user: 'alice', password: 'alice-pw', publish: ['freeswitch.broadcast', 'freeswitch.api', 'freeswitch.node.*'], subscribe: ['_INBOX_alice.>'] };

void describe('fsbus --inbox-prefix on a broker with per-user inboxes', () => {
  let node: UsersNode;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    node = await startNodeWithUsers([ALICE]);
    env = cliEnv({ FSBUS_BROKER_URL: node.url, FSBUS_BROKER_USER: ALICE.user, FSBUS_BROKER_PASSWORD: ALICE.password, FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' });
    delete env['FSBUS_INBOX_PREFIX'];
  });
  after(async () => {
    await node?.stop();
  });

  const nodesOf = (out: string): string[] => (JSON.parse(out) as Array<{ node_id: string }>).map((s) => s.node_id);

  void it('status --all answers through the flag and through FSBUS_INBOX_PREFIX', async () => {
    const flag = await runCli(['status', '--all', '--expect', '1', '--json', '--inbox-prefix', '_INBOX_alice'], env);
    assert.equal(flag.code, 0, flag.err);
    assert.deepEqual(nodesOf(flag.out), ['node-1']);
    const fromEnv = await runCli(['status', '--all', '--expect', '1', '--json'], { ...env, FSBUS_INBOX_PREFIX: '_INBOX_alice' });
    assert.equal(fromEnv.code, 0, fromEnv.err);
    assert.deepEqual(nodesOf(fromEnv.out), ['node-1']);
  });

  void it('without it the replies cannot reach the user: no node answers', async () => {
    const plain = await runCli(['status', '--all', '--timeout', '1000'], env);
    assert.equal(plain.code, 4, plain.err);
    assert.match(plain.err, /no node replied/);
  });

  void it('fsbus web hands the flag and the env to the dashboard bus', () => {
    const bus = (argv: string[], extra: NodeJS.ProcessEnv = {}) => {
      const o = webOptions(['--server', node.url, ...argv], extra);
      return o === 'help' ? undefined : o.bus;
    };
    assert.equal(bus(['--inbox-prefix', '_INBOX_dash'])?.inboxPrefix, '_INBOX_dash');
    assert.equal(bus([], { FSBUS_INBOX_PREFIX: '_INBOX_dash' })?.inboxPrefix, '_INBOX_dash');
    assert.equal(bus(['--inbox-prefix', '_INBOX_a'], { FSBUS_INBOX_PREFIX: '_INBOX_b' })?.inboxPrefix, '_INBOX_a', 'the flag wins');
    assert.equal(bus([])?.inboxPrefix, undefined);
  });

  void it('refused before connecting: another driver, or a prefix that is no inbox', async () => {
    for (const [args, message] of [
      [['status', '--server', 'redis://127.0.0.1:1', '--inbox-prefix', '_INBOX_alice'], /^fsbus status: --inbox-prefix is for the nats driver only \(the driver is redis\)/],
      [['web', '--driver', 'amqp', '--server', 'amqp://127.0.0.1:1', '--inbox-prefix', '_INBOX_alice'], /^fsbus web: --inbox-prefix is for the nats driver only \(the driver is amqp\)/],
      [['status', '--server', 'nats://127.0.0.1:1', '--inbox-prefix', '_INBOX.*'], /--inbox-prefix "_INBOX\.\*": must be dot-separated tokens/],
      [['status', '--server', 'nats://127.0.0.1:1', '--inbox-prefix', 'a..b'], /must be dot-separated tokens/],
      [['status', '--server', 'nats://127.0.0.1:1', '--inbox-prefix', 'x'.repeat(65)], /at most 64 characters/],
      [['web', '--server', 'nats://127.0.0.1:1', '--inbox-prefix', 'freeswitch.events'], /--inbox-prefix "freeswitch\.events": is under the agents' own subjects/],
    ] as const) {
      const r = await runMain([...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, message);
    }
    const saved = process.env['FSBUS_INBOX_PREFIX'];
    process.env['FSBUS_INBOX_PREFIX'] = '_INBOX_alice';
    try {
      const r = await runMain(['status', '--server', 'mqtt://127.0.0.1:1']);
      assert.equal(r.code, 2);
      assert.match(r.err, /^fsbus status: FSBUS_INBOX_PREFIX is for the nats driver only \(the driver is mqtt\)/);
    } finally {
      if (saved === undefined) delete process.env['FSBUS_INBOX_PREFIX'];
      else process.env['FSBUS_INBOX_PREFIX'] = saved;
    }
    const help = await runMain(['status', '--help']);
    assert.match(help.out, /--inbox-prefix <p> +nats only/);
    assert.match((await runMain(['web', '--help'])).out, /FSBUS_INBOX_PREFIX/);
  });
});
