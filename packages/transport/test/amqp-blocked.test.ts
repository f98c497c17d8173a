/**
 * RabbitMQ blocks a publishing connection while a resource alarm is on (memory or disk:
 * `connection.blocked`): nothing published reaches it until the alarm clears. The driver said
 * nothing — no line, status 'connected', events stopped for the whole alarm. It now says both
 * ends (a warn with RabbitMQ's reason, an info with how long), and `stats().blocked` holds the
 * reason meanwhile. Real RabbitMQ; the alarm is a memory watermark set low, then back.
 */
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startRabbitMq, type RabbitMqHandle } from '@fsbus/testkit';
import { createDriver, type DriverLogger } from '@fsbus/transport';
import { Collector, dec, enc, within } from './conformance/helpers.js';

let rabbit: RabbitMqHandle;
before(async () => {
  rabbit = await startRabbitMq();
});
after(async () => {
  await rabbit.ctl('set_vm_memory_high_watermark', '0.4').catch(() => undefined);
  await rabbit.stop();
});

interface Line { level: string; msg: string | undefined; fields: Record<string, unknown> }

void test('amqp: a connection RabbitMQ blocks (resource alarm) is said with its reason, its end with how long; stats().blocked meanwhile', { timeout: 120_000 }, async (t) => {
  const lines = new Collector<Line>();
  const at = (level: string) => (fields: object, msg?: string) => lines.push({ level, msg, fields: fields as Record<string, unknown> });
  const logger: DriverLogger = { debug: () => undefined, info: at('info'), warn: at('warn'), error: at('error') };
  const publisher = await createDriver('amqp', { urls: [rabbit.url], name: 'blocked-publisher', logger });
  t.after(() => publisher.close());
  const observer = await createDriver('amqp', { urls: [rabbit.url], name: 'blocked-observer' });
  t.after(() => observer.close());
  await publisher.connect();
  await observer.connect();
  const got = new Collector<string>();
  observer.subscribe('blocked.events.>', (m) => got.push(dec(m.data)));
  await observer.flush();
  publisher.publish('blocked.events.a', enc('before'));
  await got.until(1);

  const said = (pred: (l: Line) => boolean): Promise<Line> =>
    within((async () => {
      for (let n = 1; ; n++) {
        await lines.until(n, 30_000);
        const l = lines.items[n - 1]!;
        if (pred(l)) return l;
      }
    })(), 30_000, `no such line; lines: ${JSON.stringify(lines.items)}`);

  await rabbit.ctl('set_vm_memory_high_watermark', '0.00001');
  // Cleared before the drivers close (a blocked connection never confirms what close() waits for).
  let cleared = false;
  const clear = async (): Promise<void> => {
    if (cleared) return;
    cleared = true;
    await rabbit.ctl('set_vm_memory_high_watermark', '0.4');
  };
  try {
  // RabbitMQ blocks a connection once it publishes during the alarm.
  publisher.publish('blocked.events.a', enc('during'));
  const blocked = await said((l) => l.level === 'warn' && /blocked/i.test(l.msg ?? ''));
  assert.match(String(blocked.fields['reason']), /memory/i, JSON.stringify(blocked));
  assert.equal(blocked.fields['driver'], 'amqp');
  const stats = publisher.stats() as { blocked?: unknown };
  assert.match(String(stats.blocked), /memory/i, 'stats().blocked holds the reason while blocked');
  assert.equal(publisher.status, 'connected');

  await clear();
  const unblocked = await said((l) => l.level === 'info' && /unblocked/i.test(l.msg ?? ''));
  assert.equal(typeof unblocked.fields['blocked_ms'], 'number', JSON.stringify(unblocked));
  assert.ok((unblocked.fields['blocked_ms'] as number) >= 0);
  assert.equal((publisher.stats() as { blocked?: unknown }).blocked, undefined);
  // What waited goes out once unblocked.
  await got.until(2, 60_000);
  assert.deepEqual(got.items, ['before', 'during']);
  } finally {
    await clear();
  }
});
