// `fsbus events --durable`: an event printed is handled — the next run of the same durable name
// starts after it, also when --count ended the run (the SDK acknowledges a durable event only
// when the loop asks for the next one, which a --count or Ctrl-C ending never does).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { cliEnv, runCli } from './support/run-cli.js';

const event = (n: number): Uint8Array =>
  Buffer.from(JSON.stringify({ event_name: 'CUSTOM', timestamp: 1_700_000_000_000_000 + n, node_id: 'n1', headers: { 'Event-Name': 'CUSTOM', 'Event-Subclass': 'test::tick', N: String(n) } }));

void test('events --durable --count 1 twice: the second run prints the next event, not the same one', async () => {
  const js = await startNatsServer({ jetstream: true });
  const admin = await createDriver('nats', { urls: [js.url] });
  try {
    await admin.connect();
    await admin.ensureStream({ name: 'FREESWITCH_EVENTS', subjects: ['freeswitch.events.>'], storage: 'memory' });
    for (const n of [1, 2, 3]) admin.publish('freeswitch.events.custom.test.tick', event(n));
    await admin.flush();
    const env = cliEnv({ FSBUS_BROKER_URL: js.url, FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' });
    const printed: string[] = [];
    for (let run = 0; run < 2; run++) {
      const r = await runCli(['events', 'custom.>', '--durable', 'ticks', '--count', '1', '--format', 'json'], env);
      assert.equal(r.code, 0, r.err);
      printed.push((JSON.parse(r.out.trim()) as { headers: { N: string } }).headers.N);
    }
    assert.deepEqual(printed, ['1', '2']);
  } finally {
    await admin.close();
    await js.stop();
  }
});
