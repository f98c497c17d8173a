// Hints for what the user can act on, and colours decided per stream: the real CLI against a real
// agent bridging a simulated node on a real nats-server (child processes), and `events` run in
// this process with stdout a terminal and stderr a file (as `fsbus events 2>events.log`).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { connect as natsConnect, nkeys } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { main } from '../src/main.js';
import { startBridgedNode, type BridgedNode } from './support/bridged-node.js';
import { cliEnv, runCli } from './support/run-cli.js';

const noState = { FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' };

void describe('hints', () => {
  let node: BridgedNode;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    node = await startBridgedNode('hint-node');
    env = cliEnv({ FSBUS_BROKER_URL: node.nats.url, ...noState });
  });
  after(async () => {
    await node?.stop();
  });

  void it('originate refused by FreeSWITCH (USER_BUSY) gets a hint about the cause, not "see docs/errors.md"', async () => {
    const r = await runCli(['originate', 'error/user_busy', '&park()'], env);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /FSBUS_ERR_BUS_ORIGINATE_FAILED: .*USER_BUSY/);
    assert.match(r.err, /^hint: FreeSWITCH could not place the call; the cause .*says why/m);
    assert.doesNotMatch(r.err, /docs\/errors\.md/);
  });

  void it("the client's refusal of an argument after connecting (over the broker's max_payload) gets the usage hint", async () => {
    const small = await startNatsServer({ maxPayloadBytes: 1024 });
    try {
      const r = await runCli(['api', 'echo', 'x'.repeat(2000)], cliEnv({ FSBUS_BROKER_URL: small.url, ...noState }));
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /FSBUS_ERR_CLIENT_INVALID_ARGUMENT: .*over the server's max_payload/);
      assert.match(r.err, /^hint: .*see fsbus api --help$/m);
      assert.doesNotMatch(r.err, /docs\/errors\.md/);
    } finally {
      await small.stop();
    }
  });

  void it('a valid NKey seed connects; one with a bad checksum is a usage error before connecting', async () => {
    const user = nkeys.createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    const locked = await startNatsServer({ nkeys: [user.getPublicKey()] });
    try {
      const base = cliEnv({ FSBUS_BROKER_URL: locked.url, ...noState });
      // Connected and signed (no agent on this broker: exit 4, not 2 or 3).
      const good = await runCli(['status', '--timeout', '300'], { ...base, FSBUS_BROKER_NKEY_SEED: seed });
      assert.equal(good.code, 4, good.err);
      assert.match(good.err, /FSBUS_ERR_CLIENT_NO_RESPONDERS/);
      // One character off: the checksum no longer matches.
      const typo = `${seed.slice(0, 10)}${seed[10] === 'A' ? 'B' : 'A'}${seed.slice(11)}`;
      const bad = await runCli(['status'], { ...base, FSBUS_BROKER_NKEY_SEED: typo });
      assert.equal(bad.code, 2, bad.err);
      assert.match(bad.err, /^fsbus status: FSBUS_BROKER_NKEY_SEED is not an NKey seed \(nkeys: invalid checksum\).*; see fsbus status --help$/m);
      assert.ok(!bad.err.includes(typo), 'the seed is a secret: never printed');
    } finally {
      await locked.stop();
    }
  });
});

void describe('events colours, per stream', () => {
  let nats: NatsServerHandle;
  const saved = { env: { ...process.env }, out: Object.getOwnPropertyDescriptor(process.stdout, 'isTTY'), err: Object.getOwnPropertyDescriptor(process.stderr, 'isTTY') };
  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    process.env = saved.env;
    for (const [stream, d] of [[process.stdout, saved.out], [process.stderr, saved.err]] as const) {
      if (d === undefined) delete (stream as { isTTY?: boolean }).isTTY;
      else Object.defineProperty(stream, 'isTTY', d);
    }
    await nats?.stop();
  });

  void it('stdout a terminal, stderr a file: the event line is coloured, the stderr lines are not', async () => {
    for (const k of ['NO_COLOR', 'FORCE_COLOR', 'NODE_DISABLE_COLORS']) delete process.env[k];
    Object.assign(process.env, noState);
    Object.defineProperty(process.stdout, 'isTTY', { value: true, configurable: true });
    Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
    const raw = await natsConnect({ servers: nats.url });
    try {
      const out: string[] = [];
      const err: string[] = [];
      const event = { event_name: 'CHANNEL_CREATE', node_id: 'fs-01', timestamp: Date.now() * 1000, uuid: 'abcdef12-0000', headers: {} };
      const code = await main(['events', 'channel.create', '--count', '1', '-s', nats.url], {
        out: (l) => out.push(l),
        err: (l) => {
          err.push(l);
          // Listening: the subscription is on the broker.
          if (l.includes('listening on')) raw.publish('freeswitch.events.channel.create', JSON.stringify(event));
        },
      });
      assert.equal(code, 0, err.join('\n'));
      assert.equal(out.length, 1);
      assert.match(out[0]!, /\x1b\[32mCHANNEL_CREATE/);
      assert.ok(err.some((l) => l.includes('listening on')), err.join('\n'));
      for (const l of err) assert.doesNotMatch(l, /\x1b/, JSON.stringify(l));
    } finally {
      await raw.close();
    }
  });
});
