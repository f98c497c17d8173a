// What a lost connection does to the client's iterators and to the numbering of its reconnect attempts.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslEvent, type EslClientStatus } from '../src/index.js';
import { bounded, eventWhere } from './support/scripted-peer.js';
import { withSim } from './support/sim-inbound.js';

void test('reconnect: false — a lost connection ends the iterators (done), after the events already queued', async () => {
  await withSim(async (sim, client) => {
    await client.events('plain', ['CUSTOM', 'fsbus::loss']);
    const all = client[Symbol.asyncIterator]();
    const queued = client.iterate({ names: ['custom::fsbus::loss'] });
    const pending = all.next();
    const arrived = eventWhere<EslEvent>(client, 'custom::fsbus::loss', () => true);
    await client.sendevent(EslEvent.create('CUSTOM', 'fsbus::loss'));
    await bounded(arrived, 'the event');
    assert.equal((await pending).done, false);
    const waiting = all.next();
    const disconnected = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'disconnected');
    assert.ok(sim.control.dropConnections() >= 1);
    await bounded(disconnected, 'the loss');
    assert.deepEqual(await bounded(waiting, 'the pending next() to settle'), { value: undefined, done: true });
    assert.equal((await queued.next()).value?.subclass, 'fsbus::loss', 'the queued event is still read');
    assert.deepEqual(await queued.next(), { value: undefined, done: true });
    assert.ok(all.ended && queued.ended);
  });
});

void test('reconnect: true — an iterator keeps waiting across the reconnect and gets the next event', async () => {
  await withSim(
    async (sim, client) => {
      await client.events('plain', ['CUSTOM', 'fsbus::loss']);
      const it = client.iterate({ names: ['custom::fsbus::loss'] });
      const waiting = it.next();
      const ready = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
      assert.ok(sim.control.dropConnections() >= 1);
      await bounded(ready, 'the reconnect');
      assert.equal(it.ended, false);
      await client.sendevent(EslEvent.create('CUSTOM', 'fsbus::loss').addHeader('x-n', 'after'));
      const got = await bounded(waiting, 'the event after the reconnect');
      assert.equal(got.value?.getHeader('x-n'), 'after');
      await it.return();
    },
    { initialDelayMs: 1, maxDelayMs: 5, jitter: 0 },
  );
});

void test("reconnect-failed: each loss counts its attempts from 1, while a flapping peer's delays keep growing", async () => {
  // maxDelayMs far beyond the test: no reconnected connection counts as stable, so the delay never starts over.
  await withSim(
    async (sim, client) => {
      const failed: Array<{ loss: number; attempt: number; retryInMs: number }> = [];
      let loss = 0;
      client.on('status', (s) => {
        if (s === 'disconnected') loss++;
      });
      client.on('reconnect-failed', (_err, attempt, retryInMs) => failed.push({ loss, attempt, retryInMs }));
      for (let i = 1; i <= 2; i++) {
        const firstFailure = eventWhere<Error>(client, 'reconnect-failed', () => true);
        await sim.control.stopListener();
        await bounded(firstFailure, `a failed attempt after loss ${i}`);
        const ready = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
        await sim.control.startListener();
        await bounded(ready, `the reconnect after loss ${i}`);
      }
      const first = failed.filter((f) => f.loss === 1);
      const second = failed.filter((f) => f.loss === 2);
      assert.deepEqual(first.map((f) => f.attempt), first.map((_, i) => i + 1), JSON.stringify(failed));
      assert.deepEqual(second.map((f) => f.attempt), second.map((_, i) => i + 1), JSON.stringify(failed));
      // No jitter: the delays double on, across the reconnect in between (the second loss's own delay, unreported, is one step).
      const doubling = (fs: typeof failed): boolean => fs.every((f, i) => i === 0 || f.retryInMs === fs[i - 1]!.retryInMs * 2);
      assert.ok(doubling(first) && doubling(second), JSON.stringify(failed));
      assert.equal(second[0]!.retryInMs, first.at(-1)!.retryInMs * 4, JSON.stringify(failed));
    },
    { initialDelayMs: 1, maxDelayMs: 60_000, jitter: 0 },
  );
});
