// An agent.status success whose data lacks what every fsbus agent sends (broker, esl, counters…)
// is refused with FSBUS_ERR_CLIENT_BAD_REPLY naming the node, so that nobody reading
// `status.broker.status` meets `undefined`. The "agents" are bare lanes on a real nats-server.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { encodeReply, successReply } from '@fsbus/contract';
import { ClientError, ClientErrorCode } from '../src/index.js';
import { startFakeNodes, type FakeNodes } from './support/fake-nodes.js';
import { fullStatus as full } from './support/agent-status.js';

function badReply(node: string, problem: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof ClientError, `a ClientError, not ${String(err)}`);
    assert.equal(err.code, ClientErrorCode.BAD_REPLY);
    assert.match(err.message, new RegExp(`the reply of node '${node}' is an incomplete status`));
    assert.match(err.message, problem);
    return true;
  };
}

void describe('@fsbus/client: incomplete agent.status replies', () => {
  let nodes: FakeNodes;
  const variants: Record<string, Record<string, unknown>> = {
    nobroker: (({ broker: _b, ...rest }) => rest)(full('nobroker')),
    noesl: (({ esl: _e, ...rest }) => rest)(full('noesl')),
    eslnostatus: { ...full('eslnostatus'), esl: { reconnects: 0 } },
    nocounters: (({ counters: _c, ...rest }) => rest)(full('nocounters')),
    nouptime: { ...full('nouptime'), uptime: 'long' },
  };
  before(async () => {
    const replies = Object.entries({ ...variants, complete: full('complete') }).map(([node, data]) => [node, () => encodeReply(successReply({ nodeId: node, message: 'ok', data }))] as const);
    nodes = await startFakeNodes(Object.fromEntries(replies));
  });
  after(() => nodes.stop());

  void it('status() names the node and the missing field', async () => {
    await assert.rejects(nodes.bus.node('nobroker').status(), badReply('nobroker', /no data\.broker object \(got none\)/));
    await assert.rejects(nodes.bus.node('noesl').status(), badReply('noesl', /no data\.esl object/));
    await assert.rejects(nodes.bus.node('eslnostatus').status(), badReply('eslnostatus', /data\.esl\.status is not a string/));
    await assert.rejects(nodes.bus.node('nocounters').status(), badReply('nocounters', /no data\.counters object/));
    await assert.rejects(nodes.bus.node('nouptime').status(), badReply('nouptime', /data\.uptime is not a number/));
    const ok = await nodes.bus.node('complete').status();
    assert.equal(ok.broker.status, 'connected');
  });

  void it('statusAll() keeps the node out of the statuses and in badReplies, naming it', async () => {
    const broadcast = nodes.lanes.serve({ subject: 'freeswitch.broadcast', competing: false }, () => encodeReply(successReply({ nodeId: 'nobroker', message: 'ok', data: variants['nobroker'] })));
    try {
      await nodes.lanes.flush();
      const all = await nodes.bus.statusAll({ expect: 1 });
      assert.equal(all.length, 0);
      assert.equal(all.badReplies.length, 1);
      assert.equal(all.badReplies[0]!.nodeId, 'nobroker');
      badReply('nobroker', /agent\.status gather: .*no data\.broker object/)(all.badReplies[0]!.error);
    } finally {
      await broadcast.unsubscribe();
    }
  });
});
