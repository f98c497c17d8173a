// A gather's `expect` says which nodes are awaited (a count, or a list of node ids), and the
// result says which did not answer: `missing` (a list) and `shortfall` (how many). Before, an
// unmet expect looked like any other gather (s1 of the cluster review: fs-b slow, nothing said).
// Real nats-server; one raw responder answers as several nodes, in a known order.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { encodeReply, errorReply, successReply, BusErrorCode } from '@fsbus/contract';
import { ClientErrorCode } from '../src/index.js';
import { fullStatus } from './support/agent-status.js';
import { scriptedBroadcast } from './support/scripted-broadcast.js';

const statusReply = (nodeId: string): Uint8Array => encodeReply(successReply({ nodeId, message: 'ok', data: fullStatus(nodeId) }));
/** Longer than any test may take: a gather that ends resolved early, on its `expect`. */
const NEVER_MS = 3_600_000;

void describe('@fsbus/client gather: expect a count or a list of nodes, and what was missing', () => {
  const rig = scriptedBroadcast(5000);
  const answering = rig.answering;

  void it('a list: stops once every listed node answered; an unlisted node answering first does not count', async () => {
    const sub = await answering([statusReply('node-x'), statusReply('node-a'), statusReply('node-a'), statusReply('node-b')]);
    try {
      const replies = await rig.bus.gather('agent.status', { expect: ['node-a', 'node-b'], timeoutMs: NEVER_MS });
      assert.deepEqual(
        replies.map((r) => r.node_id),
        ['node-x', 'node-a', 'node-b'],
      );
      assert.deepEqual(replies.missing, []);
      assert.equal(replies.shortfall, 0);
      assert.equal(replies.duplicates, 1);
      assert.deepEqual(Object.keys(replies), ['0', '1', '2'], 'missing and shortfall are not enumerable');
    } finally {
      sub.unsubscribe();
    }
  });

  void it('a list: the listed nodes that did not answer are named, in the list order; a failure counts as an answer', async () => {
    const busy = encodeReply(errorReply({ nodeId: 'node-b', code: BusErrorCode.BUSY, message: 'Agent busy: 4 commands in flight' }));
    const sub = await answering([statusReply('node-a'), busy]);
    try {
      const replies = await rig.bus.gather('agent.status', { expect: ['node-c', 'node-b', 'node-a', 'node-d'], timeoutMs: 300 });
      assert.deepEqual(
        replies.map((r) => r.node_id),
        ['node-a', 'node-b'],
      );
      assert.deepEqual(replies.missing, ['node-c', 'node-d']);
      assert.equal(replies.shortfall, 2);
      const all = await rig.bus.statusAll({ expect: ['node-a', 'node-b', 'node-c'], timeoutMs: 300 });
      assert.deepEqual(
        all.map((s) => s.node_id),
        ['node-a'],
      );
      assert.deepEqual(
        all.failures.map((f) => f.nodeId),
        ['node-b'],
      );
      assert.deepEqual(all.missing, ['node-c']);
      assert.equal(all.shortfall, 1);
    } finally {
      sub.unsubscribe();
    }
  });

  void it('a list of one node: stops at its answer (what came before it is kept)', async () => {
    const sub = await answering([statusReply('node-a'), statusReply('node-b')]);
    try {
      const replies = await rig.bus.gather('agent.status', { expect: ['node-a'], timeoutMs: NEVER_MS });
      assert.deepEqual(replies.missing, []);
      assert.deepEqual(
        replies.map((r) => r.node_id),
        ['node-a'],
      );
      const others = await rig.bus.gather('agent.status', { expect: ['node-b'], timeoutMs: NEVER_MS });
      assert.deepEqual(
        others.map((r) => r.node_id),
        ['node-a', 'node-b'],
      );
    } finally {
      sub.unsubscribe();
    }
  });

  void it('a count: the shortfall says how many nodes fewer answered; met, it is 0', async () => {
    const sub = await answering([statusReply('node-a'), statusReply('node-b')]);
    try {
      const short = await rig.bus.gather('agent.status', { expect: 3, timeoutMs: 300 });
      assert.equal(short.length, 2);
      assert.equal(short.shortfall, 1);
      assert.deepEqual(short.missing, []);
      const met = await rig.bus.statusAll({ expect: 2, timeoutMs: NEVER_MS });
      assert.equal(met.shortfall, 0);
      const unasked = await rig.bus.gather('agent.status', { timeoutMs: 300 });
      assert.equal(unasked.shortfall, 0);
    } finally {
      sub.unsubscribe();
    }
  });

  void it('an empty list, or one with a bad node id, is refused before anything is sent', async () => {
    await assert.rejects(rig.bus.gather('agent.status', { expect: [] }), { code: ClientErrorCode.INVALID_ARGUMENT, message: /expect must be a count or a non-empty list/ });
    await assert.rejects(rig.bus.gather('agent.status', { expect: ['node-a', ''] }), { code: ClientErrorCode.INVALID_ARGUMENT, message: /expect\[1\]/ });
  });
});
