// A `success:true` envelope without `data`, or with `data: null` (mod_event_agent answers that
// way): the methods that read fields of `data` reject with FSBUS_ERR_CLIENT_BAD_REPLY naming what
// is missing, never with a bare TypeError. The "agents" are bare lanes on a real nats-server.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { encodeReply, successReply } from '@fsbus/contract';
import { ClientError, ClientErrorCode, FsbusError, type FsbusClient } from '../src/index.js';
import { startFakeNodes, type FakeNodes } from './support/fake-nodes.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A success envelope as mod_event_agent writes it: no `data` key at all, or `data: null`. */
function bare(nodeId: string, data?: null): Uint8Array {
  const reply: Record<string, unknown> = { success: true, status: 'success', message: 'ok', timestamp: 1, node_id: nodeId };
  if (data === null) reply['data'] = null;
  return enc(JSON.stringify(reply));
}

/** Rejects with a ClientError of `code` whose message matches `message`. */
async function rejectsWith(promise: Promise<unknown>, code: ClientErrorCode, message: RegExp): Promise<void> {
  const err = await promise.then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ClientError, `a ClientError, not ${String(err)}`);
  assert.ok(err instanceof FsbusError);
  assert.equal(err.code, code);
  assert.match(err.message, message);
}

void describe('@fsbus/client: success replies without data', () => {
  let nodes: FakeNodes;
  let bus: FsbusClient;
  before(async () => {
    nodes = await startFakeNodes({
      nodata: () => bare('nodata'),
      nulldata: () => bare('nulldata', null),
      wrongtype: () => encodeReply(successReply({ nodeId: 'wrongtype', message: 'ok', data: { uuid: 7, application_uuid: ['x'] } })),
    });
    bus = nodes.bus;
  });
  after(() => nodes.stop());

  for (const node of ['nodata', 'nulldata']) {
    const got = node === 'nodata' ? 'none' : 'null';
    void it(`${node}: originate, executeApp and status reject with BAD_REPLY naming the missing data; api resolves ''`, async () => {
      const n = bus.node(node);
      assert.equal(await n.api('status'), '');
      await rejectsWith(n.originate({ endpoint: 'user/1000', extension: '&park()' }), ClientErrorCode.BAD_REPLY, new RegExp(`originate request: the reply of node '${node}' has no data object \\{uuid, job_uuid, result\\} \\(got ${got}\\)`));
      await rejectsWith(n.executeApp({ uuid: 'abc', app: 'answer' }), ClientErrorCode.BAD_REPLY, new RegExp(`execute_app request: the reply of node '${node}' has no data object \\{application_uuid\\}`));
      await rejectsWith(n.executeApp({ uuid: 'abc', app: 'answer', waitForComplete: true }), ClientErrorCode.BAD_REPLY, /execute_app request: .* has no data object \{application_uuid\}/);
      await rejectsWith(n.status(), ClientErrorCode.BAD_REPLY, new RegExp(`agent.status request: the reply of node '${node}' has no status object in data \\(got ${got}\\)`));
    });
  }

  void it('data fields of the wrong type are named too', async () => {
    const n = bus.node('wrongtype');
    await rejectsWith(n.originate({ endpoint: 'user/1000', extension: '&park()' }), ClientErrorCode.BAD_REPLY, /has data\.uuid that is not a string \(got a number\)/);
    await rejectsWith(n.executeApp({ uuid: 'abc', app: 'answer' }), ClientErrorCode.BAD_REPLY, /has data\.application_uuid that is not a string \(got an array\)/);
    await rejectsWith(n.status(), ClientErrorCode.BAD_REPLY, /has no data\.node_id string/);
  });

  void it('statusAll: a node whose success carries no status is in badReplies, named, not left out unseen', async () => {
    const broadcast = nodes.lanes.serve({ subject: 'freeswitch.broadcast', competing: false }, () => bare('legacy-node'));
    try {
      await nodes.lanes.flush();
      const all = await bus.statusAll({ expect: 1 });
      assert.equal(all.length, 0);
      assert.equal(all.badReplies.length, 1);
      assert.equal(all.badReplies[0]!.nodeId, 'legacy-node');
      await rejectsWith(Promise.reject(all.badReplies[0]!.error), ClientErrorCode.BAD_REPLY, /agent\.status gather: the reply of node 'legacy-node' has no status object in data \(got none\)/);
    } finally {
      await broadcast.unsubscribe();
    }
  });
});
