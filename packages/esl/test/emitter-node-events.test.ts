// The client works with node's `events.on` / `events.once` and with EventEmitter-style code
// (addListener, removeListener, listeners), against @fsbus/sim: an aborted `events.on` iteration
// ends (AbortError, as with node's own emitters) and removes its listeners, instead of crashing
// the process (node rethrows, from a nextTick, what its abort handler's removeListener call threw).
import { strict as assert } from 'node:assert';
import { on, once, type EventEmitter } from 'node:events';
import { test } from 'node:test';
import { EslEvent, type EslClient } from '../src/index.js';
import { bounded } from './support/scripted-peer.js';
import { withSim } from './support/sim-inbound.js';

const NAME = 'custom::fsbus::emitter';

/** @types/node types events.on/once for an EventEmitter: TypeScript callers cast (docs/esl.md says so). */
const asEmitter = (client: EslClient): EventEmitter => client as unknown as EventEmitter;

async function fire(client: EslClient, n: string): Promise<void> {
  await client.sendevent(EslEvent.create('CUSTOM', 'fsbus::emitter').addHeader('n', n));
}

void test('events.on(client, name, { signal }): yields the events; abort ends the iteration and removes its listeners', async () => {
  await withSim(async (_sim, client) => {
    await client.events('plain', ['CUSTOM', 'fsbus::emitter']);
    const ac = new AbortController();
    const it = on(asEmitter(client), NAME, { signal: ac.signal });
    assert.equal(client.listenerCount(NAME), 1);
    assert.equal(client.listenerCount('error'), 1);
    await fire(client, '1');
    const first = await bounded(it.next(), 'the first event');
    assert.equal(first.done, false);
    assert.equal((first.value as [EslEvent])[0].getHeader('n'), '1');
    const pending = it.next();
    ac.abort();
    // Node removes its listeners in the abort (without removeListener it threw there, and node rethrew it as an uncaught exception).
    assert.equal(client.listenerCount(NAME), 0);
    assert.equal(client.listenerCount('error'), 0);
    await assert.rejects(bounded(pending, 'the aborted next()'), { name: 'AbortError' });
    assert.deepEqual(await it.next(), { value: undefined, done: true });
    // The client goes on as before.
    await fire(client, '2');
    assert.equal(typeof (await client.api('status')), 'string');
  });
});

void test('events.once(client, name, { signal }): resolves with the event; an abort before it rejects and removes the listeners', async () => {
  await withSim(async (_sim, client) => {
    await client.events('plain', ['CUSTOM', 'fsbus::emitter']);
    const got = once(asEmitter(client), NAME);
    await fire(client, '1');
    const [event] = (await bounded(got, 'events.once')) as [EslEvent];
    assert.equal(event.getHeader('n'), '1');
    assert.equal(client.listenerCount('error'), 0);

    const ac = new AbortController();
    const aborted = once(asEmitter(client), NAME, { signal: ac.signal });
    ac.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
    assert.equal(client.listenerCount(NAME), 0);
    assert.equal(client.listenerCount('error'), 0);
  });
});

void test('addListener / removeListener / listeners behave as EventEmitter\'s (a once listener is listed and removed as given)', async () => {
  await withSim(async (_sim, client) => {
    await client.events('plain', ['CUSTOM', 'fsbus::emitter']);
    const seen: string[] = [];
    const a = (e: EslEvent): void => void seen.push(`a${e.getHeader('n')}`);
    const b = (e: EslEvent): void => void seen.push(`b${e.getHeader('n')}`);
    assert.equal(client.addListener(NAME, a), client);
    client.once(NAME, b);
    assert.deepEqual(client.listeners(NAME), [a, b]);
    assert.deepEqual(client.listeners('nothing'), []);
    assert.equal(client.removeListener(NAME, b), client);
    assert.deepEqual(client.listeners(NAME), [a]);
    const delivered = new Promise<void>((resolve) => client.once(NAME, () => resolve()));
    await fire(client, '1');
    await bounded(delivered, 'the event');
    client.removeListener(NAME, a);
    assert.equal(client.listenerCount(NAME), 0);
    assert.deepEqual(seen, ['a1']);
  });
});
