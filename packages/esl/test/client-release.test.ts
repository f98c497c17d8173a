// A closed connection is let go at once: nothing per connection (the liveness watch's timer above
// all) keeps its client, socket, parser and reply queue reachable after the close.
import { strict as assert } from 'node:assert';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Simulator } from '@fsbus/sim';
import { EslClient, type EslClientStatus } from '../src/index.js';
import { bounded, eventWhere } from './support/scripted-peer.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A full collection once this job is over (a WeakRef made in it keeps its target until then). */
async function collect(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  gc();
}

const alive = <T extends object>(refs: ReadonlyArray<WeakRef<T>>): number => refs.filter((r) => r.deref() !== undefined).length;

/** Every client socket opened while `fn` runs, weakly. */
async function socketsOpenedBy(fn: () => Promise<void>): Promise<Array<WeakRef<Socket>>> {
  const refs: Array<WeakRef<Socket>> = [];
  const onSocket = (message: unknown): void => {
    refs.push(new WeakRef((message as { socket: Socket }).socket));
  };
  subscribe('net.client.socket', onSocket);
  try {
    await fn();
  } finally {
    unsubscribe('net.client.socket', onSocket);
  }
  return refs;
}

void test('connect/close cycles with the liveness watch on: no closed client stays reachable', async (t) => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  t.after(() => sim.stop());
  const clients: Array<WeakRef<EslClient>> = [];
  const sockets = await socketsOpenedBy(async () => {
    for (let i = 0; i < 50; i++) {
      // A period far beyond the test: a watch cleared only on its next tick would hold every one.
      const client = new EslClient({ port, reconnect: false, livenessMs: 60_000 });
      await client.connect();
      await client.close();
      clients.push(new WeakRef(client));
    }
  });
  await collect();
  assert.equal(sockets.length, 50);
  assert.equal(alive(clients), 0, 'closed clients still reachable');
  assert.equal(alive(sockets), 0, 'closed sockets still reachable');
});

void test('reconnects with the liveness watch on: only the connection in use stays reachable', async (t) => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  t.after(() => sim.stop());
  const client = new EslClient({ port, reconnect: { initialDelayMs: 1, maxDelayMs: 5, jitter: 0 }, livenessMs: 60_000 });
  t.after(() => client.close());
  await client.connect();
  const sockets = await socketsOpenedBy(async () => {
    for (let i = 0; i < 20; i++) {
      const ready = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
      assert.ok(sim.control.dropConnections() >= 1);
      await bounded(ready, `reconnect ${i + 1}`);
    }
  });
  await collect();
  assert.equal(sockets.length, 20);
  assert.equal(alive(sockets), 1, 'sockets of lost connections still reachable');
});
