// Arguments that can never make a request are refused with FSBUS_ERR_CLIENT_INVALID_ARGUMENT before
// anything is sent, and the client's connection is not hurt: a value JSON cannot encode (named), a
// message over the broker's max_payload (not DISCONNECTED, which a caller would retry for ever), a
// node id no agent can have (its subject would pass nats-server's 4 KiB protocol line, and the
// server would drop the connection with every other pending request). The "agents" are bare lanes
// on a real nats-server whose max_payload is 4096 bytes.
import { strict as assert } from 'node:assert';
import { after, before, beforeEach, describe, it } from 'node:test';
import { encodeReply, MAX_NODE_ID_LENGTH, successReply } from '@fsbus/contract';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { createDriver, type Driver, type ServeRequest } from '@fsbus/transport';
import { ClientErrorCode, connect, type FsbusClient } from '../src/index.js';

const MAX_PAYLOAD = 4096;
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const ok = (data: unknown): Uint8Array => encodeReply(successReply({ nodeId: 'lane', message: 'ok', data }));
const invalid = (message: RegExp) => ({ code: ClientErrorCode.INVALID_ARGUMENT, message });

void describe('@fsbus/client: arguments refused before anything is sent', () => {
  let nats: NatsServerHandle;
  let lanes: Driver;
  let bus: FsbusClient;
  /** `<subject> <command>` of every request the lanes received, in order. */
  let arrived: string[] = [];
  /** Status changes of the client's driver: a dropped connection shows here. */
  let statuses: string[] = [];
  let held: ServeRequest | undefined;
  let onHeld: (() => void) | undefined;

  before(async () => {
    nats = await startNatsServer({ maxPayloadBytes: MAX_PAYLOAD });
    lanes = await createDriver('nats', { urls: [nats.url], name: 'lanes' });
    await lanes.connect();
    const record = (req: ServeRequest): string => {
      const command = String((JSON.parse(dec(req.data)) as { command?: unknown }).command);
      arrived.push(`${req.subject} ${command}`);
      return command;
    };
    // `hold` is answered only when the test says so; anything else at once.
    lanes.serve({ subject: 'freeswitch.api', competing: true }, (req) => {
      if (record(req) !== 'hold') return ok('done');
      held = req;
      onHeld?.();
      return undefined;
    });
    lanes.serve({ subject: 'freeswitch.broadcast', competing: false }, (req) => {
      record(req);
      return ok('done');
    });
    // A node's direct lane answers with the subject the request came on.
    lanes.serve({ subject: 'freeswitch.node.*', competing: false }, (req) => {
      record(req);
      return ok(req.subject);
    });
    await lanes.flush();
    bus = await connect({ servers: nats.url, timeoutMs: 5000 });
    bus.driver.on((e) => {
      if (e.type === 'status') statuses.push(e.status);
    });
  });
  after(async () => {
    await bus.close();
    await lanes.close();
    await nats.stop();
  });
  beforeEach(() => {
    arrived = [];
    statuses = [];
  });

  void it('a value JSON cannot encode (BigInt, a cycle) is INVALID_ARGUMENT naming the field, and nothing is sent', async () => {
    await assert.rejects(bus.request('x', { n: 10n }), invalid(/^x request: n cannot be encoded as JSON \(Do not know how to serialize a BigInt\)$/));
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    await assert.rejects(bus.request('x', circular), invalid(/^x request: self\.self cannot be encoded as JSON \(Converting circular structure to JSON\)$/));
    const variables = { a: 1n } as unknown as Record<string, string>;
    await assert.rejects(bus.originate({ endpoint: 'user/1000', extension: '&park()', variables }), invalid(/^originate request: variables\.a cannot be encoded/));
    await assert.rejects(bus.originate({ endpoint: 'user/1000', extension: '&park()', variables, async: true }), invalid(/^originate request: variables\.a cannot be encoded/));
    await assert.rejects(bus.executeApp({ uuid: 'abc', app: 'set', vars: variables }), invalid(/^execute_app request: vars\.a cannot be encoded/));
    await assert.rejects(bus.gather('status', { fields: { deep: { er: [1n] } } }), invalid(/^status gather: deep\.er\.0 cannot be encoded/));
    // Requests from one connection arrive in order: had any of the above been sent, it came first.
    assert.equal(await bus.api('after'), 'done');
    assert.deepEqual(arrived, ['freeswitch.api after']);
  });

  void it("a request over the broker's max_payload is INVALID_ARGUMENT, not DISCONNECTED; the connection stays up", async () => {
    const big = 'a'.repeat(MAX_PAYLOAD * 2);
    await assert.rejects(bus.request('status', { args: big }), invalid(new RegExp(`^status request: request to freeswitch\\.api: the message is \\d+ bytes, over the server's max_payload of ${MAX_PAYLOAD} bytes$`)));
    await assert.rejects(bus.node('fs-01').api('status', big), invalid(/over the server's max_payload/));
    await assert.rejects(bus.gather('status', { args: big }), invalid(/^status gather: gather on freeswitch\.broadcast: the message is \d+ bytes, over the server's max_payload/));
    // Fire and forget: refused by the driver while connected, not "the broker is away".
    await assert.rejects(bus.originate({ endpoint: 'user/1000', extension: '&park()', variables: { big }, async: true }), invalid(/^originate: the message is \d+ bytes, over the broker's limit of 4096$/));
    assert.equal(await bus.api('after'), 'done');
    assert.deepEqual(arrived, ['freeswitch.api after']);
    assert.equal(bus.driver.status, 'connected');
    assert.deepEqual(statuses, [], 'the connection never dropped');
  });

  void it('a node id no agent can have is refused before sending; the requests pending on the client are not hurt', async () => {
    const reached = new Promise<void>((resolve) => (onHeld = resolve));
    const pending = bus.api('hold');
    await reached;
    const long = 'n'.repeat(5000);
    assert.throws(() => bus.node(long), invalid(new RegExp(`^node id must be at most ${MAX_NODE_ID_LENGTH} characters .*got 5000$`)));
    assert.throws(() => bus.node('n'.repeat(MAX_NODE_ID_LENGTH + 1)), invalid(/at most/));
    assert.throws(() => bus.node(''), invalid(/^node id must be a non-empty string/));
    await assert.rejects(bus.api('status', undefined, { node: long }), invalid(/^node must be at most/));
    await assert.rejects(bus.api('status', undefined, { node: ' ' }), invalid(/^node must be a non-empty string/));
    await assert.rejects(bus.originate({ endpoint: 'user/1000', extension: '&park()', async: true }, { node: long }), invalid(/^node must be at most/));
    await assert.rejects(bus.hangup('abc', undefined, { node: long }), invalid(/^node must be at most/));
    await assert.rejects(bus.gather('status', { node: long }), invalid(/^node must be at most/));
    assert.throws(() => bus.events('channel.>', { node: long }), invalid(/^node must be at most/));
    // What an agent accepts is accepted: the longest id, any case and punctuation (slugified).
    const longest = 'a'.repeat(MAX_NODE_ID_LENGTH);
    assert.equal(await bus.node(longest).api('status'), `freeswitch.node.${longest}`);
    assert.equal(await bus.api('status', undefined, { node: 'FS-Node.01' }), 'freeswitch.node.fs-node_01');
    // The request pending all along is still answered on the same connection.
    held!.reply(ok('released'));
    assert.equal(await pending, 'released');
    assert.deepEqual(arrived, ['freeswitch.api hold', `freeswitch.node.${longest} status`, 'freeswitch.node.fs-node_01 status']);
    assert.deepEqual(statuses, [], 'the connection never dropped');
  });
});
