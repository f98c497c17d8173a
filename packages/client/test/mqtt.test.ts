// The same SDK over a second driver: MQTT v5 (mosquitto from the test kit), two simulated nodes
// bridged by agents that use the mqtt driver. MQTT has no durable streams, so replay is refused
// with a typed error.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { BusErrorCode } from '@fsbus/contract';
import { startMosquitto } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { ClientError, ClientErrorCode, connect, ReplyError } from '../src/index.js';
import { statusReached } from './support/status.js';
import { collectUntil, startStack, type Stack } from './support/stack.js';

void describe('@fsbus/client over mqtt (2 simulated nodes)', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ nodes: 2, driver: 'mqtt', startBroker: () => startMosquitto() });
  });
  after(async () => {
    await stack.stop();
  });

  void it('api, bgapi, node targeting and typed errors', async () => {
    assert.equal(stack.bus.driver.name, 'mqtt');
    assert.match(await stack.bus.api('status'), /is ready/);
    assert.match(await stack.bus.bgapi('status'), /is ready/);
    for (const id of ['node-1', 'node-2']) assert.equal(await stack.bus.node(id).api('global_getvar', 'hostname'), id);
    await assert.rejects(stack.bus.api('no_such_command'), (err: unknown) => err instanceof ReplyError && err.code === BusErrorCode.COMMAND_FAILED);
    const ghost = await stack.bus.node('ghost').api('status', undefined, { timeoutMs: 500 }).then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    assert.ok(ghost instanceof ClientError);
    // MQTT cannot tell "nobody listens" from "nobody answered yet": either code is right.
    assert.ok(ghost.code === ClientErrorCode.TIMEOUT || ghost.code === ClientErrorCode.NO_RESPONDERS, ghost.code);
  });

  void it('gather collects every node', async () => {
    const all = await stack.bus.statusAll({ expect: 2 });
    assert.deepEqual(
      all.map((s) => [s.node_id, s.driver]),
      [
        ['node-1', 'mqtt'],
        ['node-2', 'mqtt'],
      ],
    );
  });

  void it('originate, events of that node, hangup', async () => {
    const node = stack.bus.node('node-2');
    const events = node.events(['channel.park', 'channel.hangup.complete']);
    await events.ready;
    try {
      const call = await node.originate({ endpoint: 'user/1000', extension: '&park()' });
      await collectUntil(events, (e) => e.name === 'CHANNEL_PARK' && e.uuid === call.uuid, 'park');
      await node.hangup(call.uuid);
      const seen = await collectUntil(events, (e) => e.name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid === call.uuid, 'hangup');
      assert.ok(seen.every((e) => e.nodeId === 'node-2'));
    } finally {
      await events.close();
    }
  });

  void it('replay needs durable streams: refused with FSBUS_ERR_CLIENT_INVALID_ARGUMENT', async () => {
    const s = stack.bus.events('channel.>', { from: 'all' });
    await assert.rejects(s.next(), { code: ClientErrorCode.INVALID_ARGUMENT });
    await s.close();
  });

  void it("a pattern MQTT cannot subscribe to (its '+' in a token) is the caller's INVALID_ARGUMENT, not DISCONNECTED", async () => {
    const s = stack.bus.events('custom.a+b');
    await assert.rejects(s.ready, { code: ClientErrorCode.INVALID_ARGUMENT });
    await assert.rejects(s.next(), { code: ClientErrorCode.INVALID_ARGUMENT });
    assert.equal(stack.bus.driver.status, 'connected');
  });

  void it('a stream whose later pattern is refused leaves none of its earlier subscriptions behind', async () => {
    const driver = stack.bus.driver;
    const subscribe = driver.subscribe.bind(driver);
    let live = 0;
    driver.subscribe = (pattern, handler, options) => {
      const sub = subscribe(pattern, handler, options);
      live++;
      return { subject: sub.subject, unsubscribe: () => (live--, sub.unsubscribe()) };
    };
    try {
      const s = stack.bus.events(['channel.answer', 'custom.a+b']);
      await assert.rejects(s.ready, { code: ClientErrorCode.INVALID_ARGUMENT });
      await s.close();
      assert.equal(live, 0, 'the subscription to channel.answer was left open');
    } finally {
      driver.subscribe = subscribe;
    }
  });
});

void it('events() opened while the broker is away is ready, and delivers once the broker is back', async () => {
  const broker = await startMosquitto();
  const bus = await connect({ servers: broker.url, driver: 'mqtt', prefix: 'away' });
  const pub = await createDriver('mqtt', { urls: [broker.url], name: 'away-pub' });
  const stream = bus.events('custom.>');
  try {
    await pub.connect();
    await stream.ready;
    await broker.halt();
    await statusReached(bus.driver, 'reconnecting');
    // Something waits in the outbox, so a flush now must say the broker is away (DISCONNECTED)...
    assert.equal(bus.driver.publish('away.note', new TextEncoder().encode('while away')), 'buffered');
    // ...yet a stream opened now is not refused: the driver keeps its subscription for the reconnect.
    const late = bus.events('custom.late');
    await late.ready;
    await broker.start();
    await Promise.all([statusReached(bus.driver, 'connected'), statusReached(pub, 'connected')]);
    const event = { event_name: 'CUSTOM', node_id: 'n1', timestamp: 0, headers: { 'Event-Subclass': 'late' } };
    pub.publish('away.events.custom.late', new TextEncoder().encode(JSON.stringify(event)));
    const first = await late[Symbol.asyncIterator]().next();
    assert.equal(first.done, false);
    assert.equal(first.value.nodeId, 'n1');
    await late.close();
  } finally {
    await stream.close();
    await bus.close();
    await pub.close();
    await broker.stop();
  }
});
