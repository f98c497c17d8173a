// A node that answers the status poll with an error envelope is alive: busy (its agent at
// max_in_flight, FreeSWITCH slow) or shutting down. The cluster review saw such a node shown
// offline, as one that did not answer at all. It is shown degraded: its card keeps the last status
// it gave and says why; only a node that stops answering goes offline. Real nats-server; a real
// agent (fs-node-01) and a node answering the broadcast as the test says (fs-node-02, fs-node-03).
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, encodeReply, errorReply, successReply, type ReplyEnvelope } from '@fsbus/contract';
import type { Dashboard, NodeView } from '@fsbus/web';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startWiring, type Wiring } from './support/wiring.js';

const NO_POLLS_MS = 3_600_000;

const nodeOf = (d: Dashboard, id: string): NodeView | undefined => d.snapshot().nodes.find((n) => n.node_id === id);

/** Resolves once a poll that started after this call has been applied (its update names `witness`). */
function nextPoll(d: Dashboard, witness: string): Promise<void> {
  d.flush(); // what earlier polls left batched must not pass for this one
  return new Promise((resolve) => {
    const off = d.onUpdate((u) => {
      if (u.nodes?.some((n) => n.node_id === witness) !== true) return;
      off();
      resolve();
    });
    d.refresh();
  });
}

const status = (nodeId: string): ReplyEnvelope =>
  successReply({ nodeId, message: 'ok', data: { node_id: nodeId, uptime: 42, driver: 'nats', broker: { status: 'connected' }, esl: { status: 'ready', reconnects: 0 }, counters: { requests_ok: 7 } } });
const busy = (nodeId: string): ReplyEnvelope => errorReply({ nodeId, code: BusErrorCode.BUSY, message: 'Agent busy: 4 commands in flight' });
const stopping = (nodeId: string): ReplyEnvelope => errorReply({ nodeId, code: BusErrorCode.SHUTTING_DOWN, message: 'Agent is shutting down' });

describe('a node that answers agent.status with an error', () => {
  let w: Wiring;
  let nc: NatsConnection;
  /** What the stand-in nodes answer the next polls with (none: silent). */
  let answers: ReplyEnvelope[] = [];

  before(async () => {
    w = await startWiring(['fs-node-01'], { pollIntervalMs: NO_POLLS_MS });
    nc = await connect({ servers: w.nats.url });
    nc.subscribe('freeswitch.broadcast', { callback: (_e, m) => answers.forEach((a) => m.respond(encodeReply(a))) });
    await nc.flush();
  });

  after(async () => {
    await nc?.close();
    await w?.stop();
  });

  test('busy: degraded with the last status it gave, poll after poll; shutting down: degraded; silent: offline', async () => {
    const { dashboard } = w.web;
    answers = [status('fs-node-02')];
    await nextPoll(dashboard, 'fs-node-02');
    assert.equal(nodeOf(dashboard, 'fs-node-02')?.presence, 'online');

    answers = [busy('fs-node-02')];
    for (let poll = 0; poll < 3; poll++) {
      await nextPoll(dashboard, 'fs-node-01');
      const node = nodeOf(dashboard, 'fs-node-02');
      assert.equal(node?.presence, 'degraded', `poll ${poll}`);
      assert.deepEqual(node.degraded, { code: BusErrorCode.BUSY, message: 'Agent busy: 4 commands in flight' });
      assert.equal(node.status['uptime'], 42, 'the last status it gave is kept');
    }

    answers = [stopping('fs-node-02')];
    await nextPoll(dashboard, 'fs-node-01');
    assert.deepEqual(nodeOf(dashboard, 'fs-node-02')?.degraded, { code: BusErrorCode.SHUTTING_DOWN, message: 'Agent is shutting down' });

    answers = [status('fs-node-02')];
    await nextPoll(dashboard, 'fs-node-01');
    assert.equal(nodeOf(dashboard, 'fs-node-02')?.presence, 'online');
    assert.equal(nodeOf(dashboard, 'fs-node-02')?.degraded, undefined);

    answers = [busy('fs-node-02')];
    await nextPoll(dashboard, 'fs-node-01');
    answers = [];
    await nextPoll(dashboard, 'fs-node-01');
    await nextPoll(dashboard, 'fs-node-01');
    const gone = nodeOf(dashboard, 'fs-node-02');
    assert.equal(gone?.presence, 'offline');
    assert.equal(gone.degraded, undefined);
    assert.equal(nodeOf(dashboard, 'fs-node-01')?.presence, 'online');
  });

  test('a node first heard busy gets a card, degraded, with no status yet', async () => {
    const { dashboard } = w.web;
    answers = [busy('fs-node-03')];
    await nextPoll(dashboard, 'fs-node-03');
    const node = nodeOf(dashboard, 'fs-node-03');
    assert.equal(node?.presence, 'degraded');
    assert.deepEqual(node.status, {});
    assert.equal(node.degraded?.code, BusErrorCode.BUSY);
  });
});
