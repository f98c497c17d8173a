// commands.reply_to: the reply addresses an operator lets the agent answer to. On NATS (and MQTT,
// whose Response Topic the requester picks too) the requester chooses where the reply goes, and the
// agent publishes it with its own broker permissions; a reply can carry the requester's own text
// (`api echo <text>`), so a requester that may not publish on `billing.refund` could make the agent
// publish there. A request whose reply address no pattern matches is not run: counted as refused
// (as the drivers count one no answer could reach), logged, no reply, its forward_to not told.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { connect } from '@nats-io/transport-node';
import { connectAsync } from 'mqtt';
import { AgentErrorCode, ConfigError, loadConfig } from '@fsbus/agent';
import { decodeReply } from '@fsbus/contract';
import { startMosquitto } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { counter, dec, enc, startCluster, until, type Cluster } from './support/cluster.js';
import { spawnAgent } from './support/agent-process.js';

const REFUSED_LOG = 'request refused: its reply address is not one commands.reply_to lists';

void describe('commands.reply_to over NATS', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ nodes: 2, config: { commands: { reply_to: ['_INBOX.>'] } } });
  });
  after(() => cluster.stop());

  void test("a hand-off is answered: the relaying agent's own request comes from its `_INBOX.…`", async () => {
    // node-2 cordoned: node-1 alone serves the shared lane and relays a request naming node-2 to
    // node-2's own lane, awaiting the answer on its inbox, which node-2's reply_to must take.
    const [, two] = cluster.nodes as [unknown, (typeof cluster.nodes)[number]];
    assert.equal((await cluster.request('freeswitch.node.node-2', '{"command":"agent.cordon"}')).success, true);
    await until(two.agent, () => (two.agent.status()['shared_lanes'] as { state: string }).state === 'left', 'node-2 off the shared lanes');
    try {
      const r = await cluster.request('freeswitch.api', '{"command":"status","node_id":"node-2"}');
      assert.equal(r.success, true, r.message);
      assert.equal(r.node_id, 'node-2');
      assert.equal(counter(two, 'requests_refused'), 0);
    } finally {
      assert.equal((await cluster.request('freeswitch.node.node-2', '{"command":"agent.uncordon"}')).success, true);
    }
  });

  void test('a reply subject the patterns match is answered: the SDK, nats.js and a raw `_INBOX.x`', async () => {
    const r = await cluster.request('freeswitch.node.node-1', '{"command":"status"}');
    assert.equal(r.success, true, r.message);
    const nc = await connect({ servers: cluster.broker.url });
    try {
      const viaNats = decodeReply((await nc.request('freeswitch.node.node-1', enc('{"command":"status"}'), { timeout: 5000 })).data);
      assert.equal(viaNats.success, true, viaNats.message);
      const sub = nc.subscribe('_INBOX.x', { max: 1 });
      nc.publish('freeswitch.node.node-1', enc('{"command":"status","correlation_id":"raw"}'), { reply: '_INBOX.x' });
      for await (const m of sub) assert.equal(decodeReply(m.data).correlation_id, 'raw');
    } finally {
      await nc.close();
    }
  });

  void test('a reply subject no pattern matches: not run, nothing published there nor to its forward_to, counted and logged', async () => {
    const node = cluster.nodes[0]!;
    const received = counter(node, 'requests_received');
    const seen: string[] = [];
    const spy = cluster.client.subscribe('evil.subject', (m) => seen.push(dec(m.data)));
    const fwd = cluster.client.subscribe('fwd.x', (m) => seen.push(dec(m.data)));
    await cluster.client.flush();
    const nc = await connect({ servers: cluster.broker.url });
    try {
      nc.publish('freeswitch.node.node-1', enc('{"command":"global_setvar","args":"rt_probe=ran"}'), { reply: 'evil.subject' });
      nc.publish('freeswitch.node.node-1', enc('{"command":"api","args":"echo forged","forward_to":"fwd.x"}'), { reply: 'evil.subject' });
      // In order on one connection, one agent: once this is answered, it has read the two before.
      await nc.request('freeswitch.node.node-1', enc('{"command":"agent.status"}'), { timeout: 5000 });
    } finally {
      await nc.close();
    }
    const probe = await cluster.request('freeswitch.node.node-1', '{"command":"global_getvar","args":"rt_probe"}');
    assert.equal(probe.data, '', 'the refused command did not run');
    await cluster.client.flush();
    await spy.unsubscribe();
    await fwd.unsubscribe();
    assert.deepEqual(seen, []);
    assert.equal(counter(node, 'requests_refused'), 2);
    // Not received as a request, like those the drivers refuse: agent.status and the probe were.
    assert.equal(counter(node, 'requests_received'), received + 2);
    assert.match(await node.agent.metrics.registry.metrics(), /^fsbus_requests_refused_total\{node_id="node-1"\} 2$/m);
    const lines = node.logs.filter((l) => l['msg'] === REFUSED_LOG);
    assert.ok(lines.length >= 1, JSON.stringify(node.logs.filter((l) => (l['level'] as number) >= 40)));
    assert.equal(lines[0]!['level'], 40);
    assert.equal(lines[0]!['reply_to'], 'evil.subject');
    assert.equal(lines[0]!['subject'], 'freeswitch.node.node-1');
    assert.equal(lines[0]!['config'], 'commands.reply_to (FSBUS_REPLY_TO)');
  });
});

void describe('commands.reply_to over MQTT: Response Topics checked in their subject form', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ driver: 'mqtt', startBroker: () => startMosquitto(), config: { commands: { reply_to: ['freeswitch.reply.>'] } } });
  });
  after(() => cluster.stop());

  void test('the SDK\'s `freeswitch/reply/<client id>` is answered; `evil/topic` and a one-level `freeswitch.reply.x` are not run', async () => {
    const r = await cluster.request('freeswitch.api', '{"command":"status"}');
    assert.equal(r.success, true, r.message);
    const node = cluster.nodes[0]!;
    const raw = await connectAsync(cluster.broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    try {
      for (const topic of ['evil/topic', 'freeswitch.reply.x']) {
        await raw.publishAsync('freeswitch/api', '{"command":"global_setvar","args":"rt_probe=ran"}', { qos: 1, properties: { responseTopic: topic, correlationData: Buffer.from('x1') } });
      }
      // Read after them on the same lane, by the one agent: once this is answered, they were handled.
      const probe = await cluster.request('freeswitch.api', '{"command":"global_getvar","args":"rt_probe"}');
      assert.equal(probe.data, '', 'the refused commands did not run');
    } finally {
      await raw.endAsync(true);
    }
    assert.equal(counter(node, 'requests_refused'), 2);
    const lines = node.logs.filter((l) => l['msg'] === REFUSED_LOG);
    assert.equal(lines[0]!['reply_to'], 'evil/topic');
  });
});

void describe('commands.reply_to over MQTT with a dotted subject_prefix: the reply topic keeps the namespace as one level', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ driver: 'mqtt', startBroker: () => startMosquitto(), config: { subject_prefix: 'pbx.eu1', commands: { reply_to: ['pbx.eu1.reply.>'] } } });
  });
  after(() => cluster.stop());

  void test("a client on namespace `pbx.eu1` (its `pbx.eu1/reply/<client id>`) is answered under `pbx.eu1.reply.>`; a one-level `pbx.eu1.reply.x` is not run", async () => {
    const client = await createDriver('mqtt', { urls: [cluster.broker.url], name: 'dotted', namespace: 'pbx.eu1' });
    await client.connect();
    try {
      const r = decodeReply((await client.request('pbx.eu1.api', enc('{"command":"status"}'), { timeoutMs: 5000 })).data);
      assert.equal(r.success, true, r.message);
      const raw = await connectAsync(cluster.broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
      try {
        await raw.publishAsync('pbx/eu1/api', '{"command":"global_setvar","args":"rt_probe=ran"}', { qos: 1, properties: { responseTopic: 'pbx.eu1.reply.x', correlationData: Buffer.from('x1') } });
      } finally {
        await raw.endAsync(true);
      }
      // Read after it on the same lane, by the one agent: once this is answered, it was handled.
      const probe = decodeReply((await client.request('pbx.eu1.api', enc('{"command":"global_getvar","args":"rt_probe"}'), { timeoutMs: 5000 })).data);
      assert.equal(probe.data, '', 'the refused command did not run');
    } finally {
      await client.close();
    }
    assert.equal(counter(cluster.nodes[0]!, 'requests_refused'), 1);
  });
});

void test('commands.reply_to from the file, or FSBUS_REPLY_TO comma-separated; a pattern that is not one, or a driver that answers only in its own reply space, refused at load', () => {
  assert.deepEqual(loadConfig({ values: { node_id: 'n1' }, env: {} }).commands.reply_to, []);
  assert.deepEqual(loadConfig({ values: { node_id: 'n1', commands: { reply_to: ['_INBOX.>'] } }, env: {} }).commands.reply_to, ['_INBOX.>']);
  assert.deepEqual(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_REPLY_TO: '_INBOX.>, _INBOX_alice.>' } }).commands.reply_to, ['_INBOX.>', '_INBOX_alice.>']);
  assert.deepEqual(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: 'mqtt', FSBUS_REPLY_TO: 'freeswitch.reply.>' } }).commands.reply_to, ['freeswitch.reply.>']);
  for (const bad of ['_INBOX..x', 'a.>.b', '_INB*X.>', 'a b']) {
    assert.throws(
      () => loadConfig({ values: { node_id: 'n1', commands: { reply_to: [bad] } }, env: {} }),
      (err: unknown) => err instanceof ConfigError && err.code === AgentErrorCode.CONFIG && err.field === 'commands.reply_to.0',
      bad,
    );
  }
  assert.throws(
    () => loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_REPLY_TO: '_INBOX.>,a..b' } }),
    (err: unknown) => err instanceof ConfigError && err.field === 'FSBUS_REPLY_TO',
  );
  assert.throws(
    () => loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: 'redis', FSBUS_REPLY_TO: '_INBOX.>' } }),
    (err: unknown) => err instanceof ConfigError && err.field === 'FSBUS_REPLY_TO' && /redis/.test(err.message),
  );
});

void test('fsbus agent with a bad FSBUS_REPLY_TO pattern exits 78 naming it', async () => {
  const agent = spawnAgent({ FSBUS_REPLY_TO: '_INBOX.>.x', FSBUS_METRICS: 'false', FSBUS_NODE_ID: 'reply-to' });
  const { code } = await agent.exited;
  assert.equal(code, 78, agent.stderr());
  assert.match(agent.stderr(), /^fsbus agent: invalid config: FSBUS_REPLY_TO: /);
});
