// Hand-offs the agent relays (handoff.ts), at the Dispatcher over a real nats-server: a stop waits
// for them (their reply can only come back through the agent that relayed them), and one that ran
// to its requester's deadline is not answered.
import { test, type TestContext } from 'node:test';
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { buildSubjects } from '@fsbus/contract';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver, type ServeRequest } from '@fsbus/transport';
import { apiCommand } from '../src/commands/api.js';
import { CommandRegistry } from '../src/commands/registry.js';
import { Dispatcher } from '../src/dispatcher.js';
import { FreeSwitchLink } from '../src/freeswitch-link.js';
import { AgentMetrics } from '../src/metrics.js';
import { dec, enc, jsonLineSink } from './support/cluster.js';

/** A nats-server; node-1's Dispatcher on it, which only relays (its FreeSWITCH link is never started); node-2, a raw connection. */
async function relaying(t: TestContext, maxInFlight = 10): Promise<{ dispatcher: Dispatcher; node2: NatsConnection; logs: Array<Record<string, unknown>> }> {
  const nats = await startNatsServer();
  t.after(() => nats.stop());
  const driver = await createDriver('nats', { urls: [nats.url], name: 'relaying-agent' });
  await driver.connect();
  t.after(() => driver.close());
  const node2 = await connect({ servers: nats.url });
  t.after(() => node2.close());
  // Every line the dispatcher writes, parsed (pino writes to the sink synchronously).
  const logs: Array<Record<string, unknown>> = [];
  const sink = jsonLineSink(logs);
  const logger = pino({ level: 'warn' }, sink);
  const dispatcher = new Dispatcher({
    nodeId: 'node-1',
    subjects: buildSubjects('freeswitch'),
    registry: new CommandRegistry(apiCommand),
    denylist: [],
    allowlist: [],
    maxPayloadBytes: 65_536,
    maxInFlight,
    timeoutMs: 30_000,
    driver,
    link: new FreeSwitchLink({ host: '127.0.0.1', port: 1, password: 'x', poolSize: 1, connectTimeoutMs: 1000, eventNames: [], logger, onEvent: () => undefined, onStatus: () => undefined, onReconnect: () => undefined }),
    metrics: new AgentMetrics({ node_id: 'node-1' }, () => 0, () => 0),
    logger,
    status: () => ({}),
  });
  return { dispatcher, node2, logs };
}

void test('drain() resolves only once a relayed hand-off got its reply, and that reply is passed on', async (t) => {
  const { dispatcher, node2 } = await relaying(t);
  const held = new Promise<{ respond(data: Uint8Array): boolean }>((resolve) => node2.subscribe('freeswitch.node.node-2', { max: 1, callback: (_e, m) => resolve(m) }));
  await node2.flush();
  const request: ServeRequest = { subject: 'freeswitch.api', data: enc('{"command":"status","node_id":"node-2"}'), expectsReply: true, reply: () => true, forward: () => assert.fail('relayed, not forwarded') };
  const replied = dispatcher.handle('api', request);
  const m = await held;
  let drained = false;
  const draining = dispatcher.drain(60_000).then(() => {
    drained = true;
  });
  // Every promise continuation already due has run once this turn is over.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(drained, false, 'drain waits for the relay');
  m.respond(enc('node-2 answers'));
  const reply = await replied;
  assert.equal(reply === undefined ? undefined : dec(reply), 'node-2 answers');
  await draining;
});

void test("a relayed hand-off that ran to its requester's deadline is counted as a timeout but not answered; one bounded by the command's timeout is answered", async (t) => {
  const { dispatcher, node2 } = await relaying(t);
  node2.subscribe('freeswitch.node.node-2', { callback: () => undefined }); // there, silent
  await node2.flush();
  const request = (body: string, deadline?: number): ServeRequest => ({ subject: 'freeswitch.api', data: enc(body), expectsReply: true, reply: () => true, forward: () => assert.fail('relayed, not forwarded'), deadline });

  // The requester waits 300 ms (its broker said so); the command would get 30 s + 1 s.
  const gone = await dispatcher.handle('api', request('{"command":"status","node_id":"node-2"}', performance.now() + 300));
  assert.equal(gone, undefined, 'nobody waits for it: a reply would only race the requester\'s own timeout');
  assert.equal(dispatcher.counters.failed, 1, 'counted all the same');

  // The command's own 100 ms (+1 s) comes first: the requester still waits, and is told.
  const told = await dispatcher.handle('api', request('{"command":"status","node_id":"node-2","timeout_ms":100}', performance.now() + 60_000));
  assert.ok(told !== undefined);
  const r = JSON.parse(dec(told)) as { error_code?: string; message: string };
  assert.equal(r.message, "Node 'node-2' did not answer within 1100 ms");
  assert.equal(dispatcher.counters.failed, 2);
});

const RELAY_BUSY_LOG = "hand-offs refused as busy: commands.max_in_flight hand-offs awaiting their node's reply";

void test('relayed hand-offs are bounded by max_in_flight: past it the requester is told FSBUS_ERR_BUS_BUSY at once, said in one warn line per burst', async (t) => {
  const { dispatcher, node2, logs } = await relaying(t, 1);
  const held = new Promise<{ respond(data: Uint8Array): boolean }>((resolve) => node2.subscribe('freeswitch.node.node-2', { max: 1, callback: (_e, m) => resolve(m) }));
  await node2.flush();
  const request = (): ServeRequest => ({ subject: 'freeswitch.api', data: enc('{"command":"status","node_id":"node-2"}'), expectsReply: true, reply: () => true, forward: () => assert.fail('relayed, not forwarded') });
  const first = dispatcher.handle('api', request());
  const m = await held;
  const busy = await dispatcher.handle('api', request());
  assert.ok(busy !== undefined);
  const r = JSON.parse(dec(busy)) as { code?: string; message: string };
  assert.equal(r.code, 'FSBUS_ERR_BUS_BUSY');
  assert.equal(r.message, "Agent busy: 1 hand-offs awaiting their node's reply");
  // As past max_in_flight for its own commands: the first at once, the rest of the burst counted.
  const said = logs.filter((l) => l['msg'] === RELAY_BUSY_LOG);
  assert.equal(said.length, 1, JSON.stringify(logs));
  assert.deepEqual([said[0]!['level'], said[0]!['refused'], said[0]!['max_in_flight'], said[0]!['config']], [40, 1, 1, 'commands.max_in_flight (FSBUS_MAX_IN_FLIGHT)']);
  assert.ok((await dispatcher.handle('api', request())) !== undefined);
  assert.equal(logs.filter((l) => l['msg'] === RELAY_BUSY_LOG).length, 1, 'within the burst: counted, not written');
  dispatcher.flushLog();
  const all = logs.filter((l) => l['msg'] === RELAY_BUSY_LOG);
  assert.equal(all.length, 2, 'the one that followed, written at the flush (the stop)');
  assert.deepEqual([all[1]!['suppressed'], all[1]!['refused']], [1, 2]);
  m.respond(enc('node-2 answers'));
  const reply = await first;
  assert.equal(reply === undefined ? undefined : dec(reply), 'node-2 answers');
});
