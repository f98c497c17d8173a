// The kafka reader's watchdog: a broker that accepts connections and never answers must not leave a
// reader (and so the driver's flush) waiting for ever. A silent TCP server stands in for it.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { KafkaReader } from '../src/drivers/kafka/kafka-reader.js';
import type { DriverLogger } from '../src/driver.js';
import { silentBroker } from './support/silent-broker.js';

/** Records warn and error lines (and their fields); `count(text, n)` resolves once n of them contain text. */
function warnings() {
  const lines: string[] = [];
  const fields: Record<string, unknown>[] = [];
  const waiters: { text: string; n: number; wake: () => void }[] = [];
  const seen = (text: string) => lines.filter((l) => l.includes(text)).length;
  const note = (obj: object, msg = '') => {
    lines.push(msg);
    fields.push(obj as Record<string, unknown>);
    for (const w of waiters) if (seen(w.text) >= w.n) w.wake();
  };
  const logger: DriverLogger = { debug: () => undefined, info: () => undefined, warn: (o, msg) => note(o, msg), error: (o, msg) => note(o, msg) };
  const count = (text: string, n: number) => new Promise<void>((wake) => (seen(text) >= n ? wake() : waiters.push({ text, n, wake })));
  return { lines, fields, logger, count };
}

void test('kafka reader: an attempt nobody answers is abandoned and started over, and close() still returns', { timeout: 30_000 }, async () => {
  const broker = await silentBroker();
  const { lines, fields, logger, count } = warnings();
  const reader = new KafkaReader(
    { clientId: 'watchdog-test', bootstrapBrokers: [broker.url], retries: 0 },
    { topic: 'freeswitch.api', group: 'watchdog', mode: 'committed', commitEach: true },
    () => assert.fail('a silent broker delivers nothing'),
    logger,
    { positionTimeoutMs: 200, shutdownTimeoutMs: 200 },
  );
  try {
    reader.start();
    // Two abandoned attempts: the watchdog is re-armed for every attempt, not fired once.
    await count('not positioned in time', 2);
    assert.equal(reader.positioned, false);
    // The bound it waited, snake_case as every log line's fields.
    const said = fields[lines.findIndex((l) => l.includes('not positioned in time'))];
    assert.deepEqual(said, { topic: 'freeswitch.api', group: 'watchdog', timeout_ms: 200 });
    // It was the watchdog, not a refused connection: the library reached the broker and waited.
    assert.ok(broker.accepted > 0, lines.join('\n'));
    await reader.close();
    // No attempt, abandoned or last, keeps a connection open.
    await broker.idle();
  } finally {
    await reader.close();
    await broker.stop();
  }
  // ready resolves on close, so a flush() waiting on it is released too.
  await reader.ready;
});
