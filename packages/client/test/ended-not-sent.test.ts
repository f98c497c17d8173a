// A request the client ended (DISCONNECTED when the connection dropped, CLOSED by bus.close())
// must not reach an agent later: one that waited in the driver's outbox (behind a full write
// window here) would otherwise go out when the link is back, and an agent would run a command its
// caller was told failed — an originate twice if the caller retries.
import { strict as assert } from 'node:assert';
import { getEventListeners } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { startRelay, type Relay } from '../../transport/test/conformance/relay.js';
import { ClientErrorCode, connect, type FsbusClient } from '../src/index.js';
import { statusReached } from './support/status.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

void describe('@fsbus/client: a request it ended is never sent', () => {
  let nats: NatsServerHandle;
  let agent: Driver;
  /** Commands that reached the api and broadcast lanes, in order. */
  const seen: string[] = [];
  let wake: (() => void) | undefined;
  before(async () => {
    nats = await startNatsServer({ jetstream: false });
    agent = await createDriver('nats', { urls: [nats.url], name: 'agent' });
    await agent.connect();
    for (const lane of ['freeswitch.api', 'freeswitch.broadcast']) {
      agent.subscribe(lane, (m) => {
        seen.push((JSON.parse(new TextDecoder().decode(m.data)) as { command: string }).command);
        wake?.();
      });
    }
    await agent.flush();
  });
  after(async () => {
    await agent.close();
    await nats.stop();
  });

  /** A client behind a relay whose write window (1 MiB, its least) fills while the relay is stalled. */
  async function stalledClient(): Promise<{ relay: Relay; driver: Driver; bus: FsbusClient }> {
    const relay = await startRelay(nats.port);
    const driver = await createDriver('nats', { urls: [relay.url(nats.url)], name: 'client', bufferBytes: 1024 * 1024 });
    await driver.connect();
    const bus = await connect({ driver });
    relay.stall();
    // Never confirmed while stalled: what is asked next waits in the outbox.
    for (let i = 0; i < 3; i++) driver.publish('filler', new Uint8Array(400_000));
    return { relay, driver, bus };
  }

  /** Resolves once `marker`, published now on the api lane, arrived: anything sent before it arrived first. */
  async function lastSeen(driver: Driver, marker: string): Promise<void> {
    const arrived = new Promise<void>((resolve) => (wake = () => seen.includes(marker) && resolve()));
    driver.publish('freeswitch.api', enc(JSON.stringify({ command: marker })));
    await driver.flush();
    await arrived;
  }

  void it('DISCONNECTED: requests and gathers waiting in the outbox are dropped, not sent on reconnect', { timeout: 60_000 }, async () => {
    const { relay, driver, bus } = await stalledClient();
    const signal = new AbortController().signal;
    try {
      const held = driver.stats().buffered;
      const calls = [
        bus.request('lost.plain', {}, { timeoutMs: 60_000 }),
        bus.request('lost.signal', {}, { timeoutMs: 60_000, signal }),
        bus.gather('lost.gather', { timeoutMs: 60_000 }),
      ];
      assert.equal(driver.stats().buffered, held + 3, 'the three wait in the outbox');
      const expired = driver.stats().expired ?? 0;
      await relay.cut();
      for (const call of calls) await assert.rejects(call, { code: ClientErrorCode.DISCONNECTED });
      await relay.restore();
      await statusReached(driver, 'connected');
      await lastSeen(driver, 'after-reconnect');
      assert.deepEqual(seen.filter((c) => c.startsWith('lost.')), []);
      assert.equal(driver.stats().expired, expired + 3);
      assert.equal(getEventListeners(signal, 'abort').length, 0, "no listener left on the caller's signal");
    } finally {
      await bus.close();
      await driver.close();
      await relay.close();
    }
  });

  void it('CLOSED: a request waiting in the outbox of a driver the client does not own is dropped by bus.close()', { timeout: 60_000 }, async () => {
    const { relay, driver, bus } = await stalledClient();
    try {
      const call = bus.request('closed.plain', {}, { timeoutMs: 60_000 });
      const expired = driver.stats().expired ?? 0;
      await bus.close();
      await assert.rejects(call, { code: ClientErrorCode.CLOSED });
      // The link passes again: the window is confirmed and what it held goes out.
      relay.resume();
      await lastSeen(driver, 'after-close');
      assert.deepEqual(seen.filter((c) => c.startsWith('closed.')), []);
      assert.equal(driver.stats().expired, expired + 1);
    } finally {
      await driver.close();
      await relay.close();
    }
  });
});
