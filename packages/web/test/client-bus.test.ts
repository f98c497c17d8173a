// The dashboard's bus link over a real nats-server: an event one listener cannot take (it throws)
// costs that listener that event, with a warning, and never the feed for every later event.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import type { EventPayload } from '@fsbus/contract';
import { ClientBus } from '../src/client-bus.js';

const event = (name: string, seq: number) =>
  new TextEncoder().encode(JSON.stringify({ event_name: name, node_id: 'n1', timestamp: seq, headers: { 'Event-Name': name, Seq: String(seq) } }));

void test('client bus: a listener that throws loses that event, with a warning; the feed goes on', { timeout: 20_000 }, async () => {
  const nats = await startNatsServer();
  const bus = new ClientBus({ servers: [nats.url] });
  const publisher = await createDriver('nats', { urls: [nats.url] });
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    await bus.connect();
    await publisher.connect();
    const seen: string[] = [];
    let wake: (() => void) | undefined;
    bus.onEvent((e: EventPayload) => {
      if (e.headers['Seq'] === '1') throw new Error('cannot show this one');
    });
    bus.onEvent((e: EventPayload) => {
      seen.push(e.headers['Seq'] ?? '');
      wake?.();
    });
    const three = new Promise<void>((resolve) => (wake = () => seen.length >= 3 && resolve()));
    for (let seq = 1; seq <= 3; seq++) publisher.publish(`freeswitch.events.custom.t${seq}`, event('CUSTOM', seq));
    await publisher.flush();
    await three;
    assert.deepEqual(seen, ['1', '2', '3']);
    // Warnings are emitted on the next turn.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(warnings.filter((w) => w.includes('cannot show this one')).length, 1, warnings.join('\n'));
  } finally {
    process.off('warning', onWarning);
    await publisher.close();
    await bus.close();
    await nats.stop();
  }
});
