// The SDK's commands against simulated FreeSWITCH nodes, through real agents on a real nats-server.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { BusErrorCode } from '@fsbus/contract';
import { ClientError, ClientErrorCode, FsbusError, ReplyError } from '../src/index.js';
import { collectUntil, startStack, type Stack } from './support/stack.js';

void describe('@fsbus/client commands (nats, 2 simulated nodes)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ nodes: 2 });
  });
  after(async () => {
    await stack.stop();
  });

  void it('api resolves with FreeSWITCH output; bgapi with the BACKGROUND_JOB result', async () => {
    assert.match(await stack.bus.api('status'), /FreeSWITCH \(Version .*\) is ready/);
    assert.equal(await stack.bus.api('echo', 'hello bus'), 'hello bus');
    assert.match(await stack.bus.bgapi('status'), /is ready/);
  });

  void it('a -ERR reply rejects with ReplyError carrying the contract code, node and raw output', async () => {
    const err = await stack.bus.api('no_such_command').then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ReplyError);
    assert.ok(err instanceof FsbusError);
    assert.equal(err.code, BusErrorCode.COMMAND_FAILED);
    assert.equal(err.message, 'API command failed');
    assert.match(String(err.data), /^-ERR no_such_command Command not found!/);
    assert.match(err.nodeId, /^node-[12]$/);
    assert.equal(err.reply.success, false);
  });

  void it('node targeting: bus.node(id) and {node} reach that node only', async () => {
    for (const id of ['node-1', 'node-2']) {
      assert.equal((await stack.bus.node(id).status()).node_id, id);
      assert.equal((await stack.bus.request('status', {}, { node: id })).node_id, id);
      assert.equal(await stack.bus.node(id).api('global_getvar', 'hostname'), id);
    }
    const ghost = await stack.bus.node('ghost').api('status').then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    assert.ok(ghost instanceof ClientError);
    assert.equal(ghost.code, ClientErrorCode.NO_RESPONDERS);
  });

  void it('status and gather: every node answers the broadcast', async () => {
    const status = await stack.bus.status();
    assert.equal(status.driver, 'nats');
    assert.equal(status.connected, true);
    const all = await stack.bus.statusAll({ expect: 2 });
    assert.deepEqual(
      all.map((s) => s.node_id),
      ['node-1', 'node-2'],
    );
    const replies = await stack.bus.gather('global_getvar', { args: 'hostname', expect: 2 });
    assert.deepEqual(replies.map((r) => r.data).sort(), ['node-1', 'node-2']);
    const one = await stack.bus.gather('agent.status', { node: 'node-2', timeoutMs: 2000, expect: 1 });
    assert.deepEqual(
      one.map((r) => r.node_id),
      ['node-2'],
    );
  });

  void it('originate places a call whose events arrive, and hangup ends it', async () => {
    const node = stack.bus.node('node-1');
    const events = node.events('channel.>');
    await events.ready;
    try {
      const call = await node.originate({ endpoint: 'user/1000', extension: '&park()', callerIdNumber: '5550100' });
      assert.match(call.uuid, /^[0-9a-f-]{36}$/);
      assert.equal(call.nodeId, 'node-1');
      assert.match(call.result, /^\+OK/);
      const seen = await collectUntil(events, (e) => e.name === 'CHANNEL_PARK' && e.uuid === call.uuid, 'CHANNEL_PARK');
      const create = seen.find((e) => e.name === 'CHANNEL_CREATE' && e.uuid === call.uuid);
      assert.ok(create, 'CHANNEL_CREATE seen');
      assert.equal(create.nodeId, 'node-1');
      assert.match(create.channelName ?? '', /\/1000@/);
      await node.hangup(call.uuid, 'USER_BUSY');
      const end = await collectUntil(events, (e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === call.uuid, 'hangup');
      assert.equal(end.at(-1)!.hangupCause, 'USER_BUSY');
    } finally {
      await events.close();
    }
  });

  void it('async originate resolves with the uuid at once; the call still happens', async () => {
    const events = stack.bus.events(['CHANNEL_ANSWER', 'channel.hangup.complete']);
    await events.ready;
    try {
      const { uuid } = await stack.bus.originate({ endpoint: 'user/1001', extension: '&park()', async: true });
      const seen = await collectUntil(events, (e) => e.name === 'CHANNEL_ANSWER' && e.uuid === uuid, 'answer of the async call');
      // Any node may have taken it: the event says which, and the hangup goes there.
      await stack.bus.hangup(uuid, undefined, { node: seen.at(-1)!.nodeId });
      await collectUntil(events, (e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === uuid, 'hangup of the async call');
    } finally {
      await events.close();
    }
  });

  void it('validation errors of the agent reject with FSBUS_ERR_BUS_INVALID_ARGUMENT', async () => {
    const err = await stack.bus.hangup('x').then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ReplyError);
    assert.equal(err.code, BusErrorCode.INVALID_ARGUMENT);
    assert.equal(err.message, 'uuid must be between 2 and 63 characters');
    await assert.rejects(stack.bus.originate({ endpoint: '', extension: '7001' }), { code: BusErrorCode.INVALID_ARGUMENT, message: 'endpoint must be between 1 and 255 characters' });
  });

  void it('an aborted request rejects with FSBUS_ERR_CLIENT_ABORTED; bad arguments never reach the bus', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(stack.bus.api('status', undefined, { signal: controller.signal }), { code: ClientErrorCode.ABORTED });
    await assert.rejects(stack.bus.api(' '), { code: ClientErrorCode.INVALID_ARGUMENT });
    assert.throws(() => stack.bus.node(''), { code: ClientErrorCode.INVALID_ARGUMENT });
  });
});
