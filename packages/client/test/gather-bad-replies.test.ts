// A gather must not lose an answer it cannot read: whatever answers on the broadcast lane with
// something that is not an fsbus envelope (HTML, nothing, half an envelope, bytes that are not
// UTF-8, deeply nested JSON) comes back in `badReplies` with FSBUS_ERR_CLIENT_BAD_REPLY, next to the
// good replies. The responders are a raw @nats-io/transport-node connection on a real nats-server.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { connect as natsConnect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { BusErrorCode, encodeReply, errorReply, successReply } from '@fsbus/contract';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { ClientError, ClientErrorCode, connect, ReplyError, type BadReply, type FsbusClient } from '../src/index.js';
import { fullStatus as status } from './support/agent-status.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** What the bad responders send, and what the error must say about it. */
const BAD: ReadonlyArray<{ name: string; body: Uint8Array; problem: RegExp }> = [
  { name: 'html', body: enc('hello <html>'), problem: /is not JSON/ },
  { name: 'empty', body: new Uint8Array(0), problem: /is empty/ },
  { name: 'half envelope', body: enc('{"success":true}'), problem: /no status, message, timestamp, node_id/ },
  { name: 'not UTF-8', body: Uint8Array.from([0xff, 0x00]), problem: /is not UTF-8 text/ },
  { name: 'deep JSON', body: enc(`${'['.repeat(20_000)}${']'.repeat(20_000)}`), problem: /is JSON but an array, not an envelope/ },
];

function assertBad(bad: readonly BadReply[], expected: typeof BAD, what: RegExp): void {
  assert.equal(bad.length, expected.length, `every bad reply is kept: ${bad.map((b) => b.error.message).join(' | ')}`);
  for (const want of expected) {
    const got = bad.find((b) => Buffer.from(b.data).equals(Buffer.from(want.body)));
    assert.ok(got !== undefined, `the ${want.name} reply is kept, bytes as they came`);
    assert.equal(got.subject, 'freeswitch.broadcast');
    assert.equal(got.nodeId, undefined, want.name);
    assert.ok(got.error instanceof ClientError, want.name);
    assert.equal(got.error.code, ClientErrorCode.BAD_REPLY, want.name);
    assert.match(got.error.message, what, want.name);
    assert.match(got.error.message, want.problem, want.name);
  }
}

void describe('@fsbus/client: gather and statusAll keep the replies they cannot read', () => {
  let nats: NatsServerHandle;
  let raw: NatsConnection;
  let bus: FsbusClient;
  let responders: Subscription[] = [];
  /** One responder per body on the broadcast lane, as separate nodes would be. */
  const answer = async (bodies: readonly Uint8Array[]): Promise<void> => {
    responders = bodies.map((body) => raw.subscribe('freeswitch.broadcast', { callback: (_err, m) => void m.respond(body) }));
    await raw.flush();
  };
  before(async () => {
    nats = await startNatsServer();
    raw = await natsConnect({ servers: nats.url, name: 'bad-responders' });
    bus = await connect({ servers: nats.url });
  });
  after(async () => {
    await bus?.close();
    await raw?.close();
    await nats?.stop();
  });
  const stopAnswering = async (): Promise<void> => {
    for (const s of responders) s.unsubscribe();
    responders = [];
    await raw.flush();
  };

  void it('gather(): the good envelope in the array, every bad body in badReplies with BAD_REPLY', async () => {
    const good = encodeReply(successReply({ nodeId: 'good-node', message: 'ok', data: status('good-node') }));
    await answer([good, ...BAD.map((b) => b.body)]);
    try {
      const replies = await bus.gather('agent.status', { expect: BAD.length + 1 });
      assert.deepEqual(
        replies.map((r) => r.node_id),
        ['good-node'],
      );
      assertBad(replies.badReplies, BAD, /^agent\.status gather: a reply on freeswitch\.broadcast /);
    } finally {
      await stopAnswering();
    }
  });

  void it('gather(): a bad reply that names a node keeps the name', async () => {
    await answer([enc('{"success":"yes","node_id":"odd-node"}')]);
    try {
      const replies = await bus.gather('agent.status', { expect: 1 });
      assert.equal(replies.length, 0);
      assert.equal(replies.badReplies.length, 1);
      assert.equal(replies.badReplies[0]!.nodeId, 'odd-node');
      assert.match(replies.badReplies[0]!.error.message, /the reply of node 'odd-node' is not an fsbus envelope: success is not a boolean \(got a string\); no status, message, timestamp/);
    } finally {
      await stopAnswering();
    }
  });

  void it('statusAll(): a node that answers with an error envelope is in failures, as the ReplyError a request would throw', async () => {
    await answer([
      encodeReply(successReply({ nodeId: 'a-node', message: 'ok', data: status('a-node') })),
      encodeReply(errorReply({ nodeId: 'busy-node', message: 'Agent is busy', code: BusErrorCode.BUSY })),
    ]);
    try {
      const all = await bus.statusAll({ expect: 2 });
      assert.deepEqual(
        all.map((s) => s.node_id),
        ['a-node'],
      );
      assert.deepEqual(all.badReplies, []);
      assert.equal(all.failures.length, 1);
      assert.ok(all.failures[0] instanceof ReplyError);
      assert.equal(all.failures[0].nodeId, 'busy-node');
      assert.equal(all.failures[0].code, BusErrorCode.BUSY);
      assert.deepEqual(Object.keys(all), ['0'], 'failures is not enumerable');
    } finally {
      await stopAnswering();
    }
  });

  void it('gather(): a fleet that answers well has no badReplies, and the result is a plain array of envelopes', async () => {
    await answer([encodeReply(successReply({ nodeId: 'a', message: 'ok', data: status('a') }))]);
    try {
      const replies = await bus.gather('agent.status', { expect: 1 });
      assert.deepEqual(replies.badReplies, []);
      assert.equal(JSON.stringify(replies), JSON.stringify([JSON.parse(JSON.stringify(replies[0]))]));
      assert.deepEqual(Object.keys(replies), ['0'], 'badReplies is not enumerable: deepEqual against an array still holds');
    } finally {
      await stopAnswering();
    }
  });

  void it('statusAll(): the good statuses resolve, the bad nodes are in badReplies (bad bodies and incomplete statuses alike)', async () => {
    const { broker: _dropped, ...noBroker } = status('incomplete-node');
    await answer([
      encodeReply(successReply({ nodeId: 'b-node', message: 'ok', data: status('b-node') })),
      encodeReply(successReply({ nodeId: 'a-node', message: 'ok', data: status('a-node') })),
      encodeReply(successReply({ nodeId: 'incomplete-node', message: 'ok', data: noBroker })),
      ...BAD.map((b) => b.body),
    ]);
    try {
      const all = await bus.statusAll({ expect: BAD.length + 3 });
      assert.deepEqual(
        all.map((s) => s.node_id),
        ['a-node', 'b-node'],
      );
      const incomplete = all.badReplies.filter((b) => b.nodeId === 'incomplete-node');
      assert.equal(incomplete.length, 1);
      assert.equal(incomplete[0]!.error.code, ClientErrorCode.BAD_REPLY);
      assert.match(incomplete[0]!.error.message, /agent\.status gather: the reply of node 'incomplete-node' is an incomplete status: no data\.broker object/);
      assert.equal((JSON.parse(new TextDecoder().decode(incomplete[0]!.data)) as { node_id: unknown }).node_id, 'incomplete-node', 'its bytes as they came');
      assertBad(
        all.badReplies.filter((b) => b.nodeId === undefined),
        BAD,
        /^agent\.status gather: a reply on freeswitch\.broadcast /,
      );
    } finally {
      await stopAnswering();
    }
  });

  void it('statusAll(): only bad replies resolve [] with every one of them in badReplies', async () => {
    await answer(BAD.map((b) => b.body));
    try {
      const all = await bus.statusAll({ expect: BAD.length });
      assert.equal(all.length, 0);
      assertBad(all.badReplies, BAD, /^agent\.status gather: /);
    } finally {
      await stopAnswering();
    }
  });
});
