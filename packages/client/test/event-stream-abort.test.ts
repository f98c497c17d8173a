// An event stream aborted after the client closed: a normal shutdown order (close the bus, then
// abort what still listens) must end the stream quietly. Over zmq the closed driver's sockets are
// gone, so unsubscribing must not throw (an unhandled rejection would end the process).
import { strict as assert } from 'node:assert';
import { setImmediate as tick } from 'node:timers/promises';
import { test } from 'node:test';
import { freePort } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { connect, EventStream } from '../src/index.js';
import type { Subscription } from '@fsbus/transport';

void test('events over zmq: abort() after bus.close() ends the stream without an unhandled rejection', async () => {
  const url = `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}`;
  // A stand-in agent: binds the endpoints, so the client's subscriptions are acknowledged.
  const agent = await createDriver('zmq', { urls: [url], name: 'agent' });
  await agent.connect();
  agent.serve({ subject: 'fsbus.never', competing: true }, () => new Uint8Array(0));
  await agent.flush();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const bus = await connect({ driver: 'zmq', servers: url, timeoutMs: 5000 });
    const controller = new AbortController();
    const stream = bus.events(['channel.create', 'custom.fsbus.>'], { signal: controller.signal });
    await stream.ready;
    const next = stream.next();
    await bus.close();
    controller.abort();
    assert.deepEqual(await next, { value: undefined, done: true });
    // Let a rejection of the abort path surface (it is reported on a later turn).
    for (let i = 0; i < 5; i++) await tick();
    assert.deepEqual(unhandled, []);
    await stream.close();
    assert.equal(stream.closed, true);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await agent.close();
  }
});

void test('EventStream: a subscription whose unsubscribe() throws synchronously does not make close() or abort reject', async () => {
  const throwing: Subscription = {
    subject: 't.x',
    unsubscribe: () => {
      throw new Error('ENOTSOCK');
    },
  };
  const rejecting: Subscription = { subject: 't.y', unsubscribe: () => Promise.reject(new Error('gone')) };
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const controller = new AbortController();
    const aborted = new EventStream(() => Promise.resolve([throwing, rejecting]), () => true, 10, controller.signal);
    await aborted.ready;
    controller.abort();
    for (let i = 0; i < 5; i++) await tick();
    assert.deepEqual(unhandled, []);
    assert.equal(aborted.closed, true);
    await aborted.close();
    const closed = new EventStream(() => Promise.resolve([throwing]), () => true, 10);
    await closed.ready;
    await closed.close();
    assert.deepEqual(await closed.next(), { value: undefined, done: true });
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});
