// Kafka: a durable stream's topic is shared by every agent of the cluster. ensureStream on a topic
// that exists keeps the wider of its retention and the asked one (as NATS and Redis do): a longer
// one widens the topic (only the keys that change), a shorter one never narrows it (warn line).
// A topic the driver itself creates has the asked retention: its configs are neither read nor
// altered (no DescribeConfigs, so no warn line at every start without those ACLs).
import { tracingChannel } from 'node:diagnostics_channel';
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Admin, ConfigResourceTypes, ConfigSources } from '@platformatic/kafka';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver, type DriverLogger } from '@fsbus/transport';
import { baseOptions, ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { askedRetention, retentionPlan, widenStreamTopicRetention, widerLimit } from '../src/drivers/kafka/kafka-stream-retention.js';

ensurePromiseWithResolvers();

const HOUR_MS = 3600_000;
const TOPIC = 'krw.events';

interface Line {
  level: 'info' | 'warn';
  fields: Record<string, unknown>;
  msg: string;
}

/** A plain logger that records its info and warn lines. */
function recordingLogger(lines: Line[]): DriverLogger {
  const none = (): void => undefined;
  return {
    debug: none,
    error: none,
    info: (fields, msg) => void lines.push({ level: 'info', fields: fields as Record<string, unknown>, msg: msg ?? '' }),
    warn: (fields, msg) => void lines.push({ level: 'warn', fields: fields as Record<string, unknown>, msg: msg ?? '' }),
  };
}

let kafka: KafkaHandle;
before(async () => {
  kafka = await startKafka();
});
after(async () => {
  await kafka.stop();
});

void test('kafka stream retention: an existing topic is widened to a longer retention, never narrowed by a shorter one (warn line)', async () => {
  const admin = new Admin(baseOptions({ urls: [kafka.url] }, 'retention-widen-admin'));
  const lines: Line[] = [];
  const logger = recordingLogger(lines);
  const a = await createDriver('kafka', { urls: [kafka.url], logger });
  const b = await createDriver('kafka', { urls: [kafka.url], logger });
  const topicConfig = async (): Promise<Record<string, { value: string | null | undefined; override: boolean }>> => {
    const [d] = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: TOPIC, configurationKeys: ['retention.ms', 'retention.bytes', 'max.message.bytes'] }] });
    return Object.fromEntries((d?.configs ?? []).map((c) => [c.name, { value: c.value, override: c.configSource === ConfigSources.DYNAMIC_TOPIC_CONFIG }]));
  };
  try {
    // Made by an older start with an hour (and a setting of the operator's own).
    await admin.createTopics({
      topics: [TOPIC],
      partitions: 1,
      replicas: 1,
      configs: [
        { name: 'retention.ms', value: String(HOUR_MS) },
        { name: 'retention.bytes', value: '10485760' },
        { name: 'max.message.bytes', value: '2000000' },
      ],
    });
    await a.connect();
    await b.connect();

    // (1) fs-a asks for a day: the topic is widened; the other settings stay as they are.
    await a.ensureStream({ name: 'KRW', subjects: ['krw.events.>'], maxAgeMs: 24 * HOUR_MS, maxBytes: 10485760 });
    assert.deepEqual(await topicConfig(), {
      'retention.ms': { value: String(24 * HOUR_MS), override: true },
      'retention.bytes': { value: '10485760', override: true },
      'max.message.bytes': { value: '2000000', override: true },
    });
    const widened = lines.filter((l) => l.level === 'info' && /widen/.test(l.msg));
    assert.equal(widened.length, 1, JSON.stringify(lines));
    assert.deepEqual(Object.keys(widened[0]!.fields['widened'] as object), ['retention.ms']);
    assert.deepEqual(lines.filter((l) => l.level === 'warn'), []);

    // (2) fs-b (re)starts asking for an hour: the day stays, and a warn line says how to narrow.
    lines.length = 0;
    await b.ensureStream({ name: 'KRW', subjects: ['krw.events.>'], maxAgeMs: HOUR_MS, maxBytes: 10485760 });
    assert.equal((await topicConfig())['retention.ms']?.value, String(24 * HOUR_MS), 'never narrowed at start');
    const warns = lines.filter((l) => l.level === 'warn');
    assert.equal(warns.length, 1, JSON.stringify(lines));
    assert.deepEqual(warns[0]!.fields['kept'], { 'retention.ms': { stream: 24 * HOUR_MS, config: HOUR_MS } });
    assert.match(warns[0]!.msg, /never narrowed at start/);
    assert.match(warns[0]!.msg, /kafka-configs\.sh --alter --entity-type topics --entity-name krw\.events --add-config retention\.ms=/);

    // No size limit asked: unlimited (-1) is the widest, so the topic loses its size limit.
    lines.length = 0;
    await b.ensureStream({ name: 'KRW', subjects: ['krw.events.>'], maxAgeMs: 24 * HOUR_MS });
    assert.equal((await topicConfig())['retention.bytes']?.value, '-1');
    assert.deepEqual(lines.filter((l) => l.level === 'warn'), []);

    // A topic whose config cannot be read: a warn line with the error, and no throw.
    lines.length = 0;
    await widenStreamTopicRetention(admin, 'KRW', 'krw.absent', askedRetention({ name: 'KRW', subjects: ['krw.absent.>'] }), logger);
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.equal(lines[0]!.level, 'warn');
    assert.ok(lines[0]!.fields['err'] instanceof Error);
    assert.match(lines[0]!.msg, /cannot read or widen the retention of topic krw\.absent/);
  } finally {
    await a.close();
    await b.close();
    await admin.close();
  }
});

interface ConfigCall {
  operation: string;
  options: { resources?: Array<{ resourceName: string }> };
}

/** The config calls (`describeConfigs krf.events`, …) any admin client of this process makes, as they start. */
function recordConfigCalls(): { calls: string[]; stop: () => void } {
  const calls: string[] = [];
  const channel = tracingChannel<unknown, ConfigCall>('plt:kafka:admin:configs');
  const none = (): void => undefined;
  const start = (ctx: ConfigCall): void => {
    for (const r of ctx.options.resources ?? []) calls.push(`${ctx.operation} ${r.resourceName}`);
  };
  const subscribers = { start, end: none, asyncStart: none, asyncEnd: none, error: none };
  channel.subscribe(subscribers);
  return { calls, stop: () => void channel.unsubscribe(subscribers) };
}

void test('kafka stream retention: a topic ensureStream creates is not described; of two drivers racing to create one, only the one that did not create it describes it', async () => {
  const lines: Line[] = [];
  const logger = recordingLogger(lines);
  const a = await createDriver('kafka', { urls: [kafka.url], logger });
  const b = await createDriver('kafka', { urls: [kafka.url], logger });
  const recorded = recordConfigCalls();
  try {
    await a.connect();
    await b.connect();
    lines.length = 0; // their 'broker status' lines
    const on = (topic: string): string[] => recorded.calls.filter((c) => c.endsWith(` ${topic}`));

    // (1) A fresh topic: created with the asked retention, nothing read or altered, nothing logged.
    await a.ensureStream({ name: 'KRF', subjects: ['krf.events.>'], maxAgeMs: HOUR_MS });
    assert.deepEqual(on('krf.events'), []);
    assert.deepEqual(lines, []);

    // (2) Both at once: exactly one creates it; the other found it, or lost the creation race
    // (TOPIC_ALREADY_EXISTS), and reads its retention (the same: no line).
    await Promise.all([
      a.ensureStream({ name: 'KRR', subjects: ['krr.events.>'], maxAgeMs: HOUR_MS }),
      b.ensureStream({ name: 'KRR', subjects: ['krr.events.>'], maxAgeMs: HOUR_MS }),
    ]);
    assert.deepEqual(on('krr.events'), ['describeConfigs krr.events']);
    assert.deepEqual(lines, []);
  } finally {
    recorded.stop();
    await a.close();
    await b.close();
  }
});

void test('kafka stream retention plan: the wider of each limit, -1 (or any negative) = unlimited and widest', () => {
  assert.equal(widerLimit(HOUR_MS, 24 * HOUR_MS), 24 * HOUR_MS);
  assert.equal(widerLimit(-1, HOUR_MS), -1);
  assert.equal(widerLimit(HOUR_MS, -1), -1);
  assert.equal(widerLimit(0, 0), 0);
  const at = (ms: number, bytes: number) => ({ 'retention.ms': ms, 'retention.bytes': bytes });
  assert.deepEqual(retentionPlan(at(HOUR_MS, 1000), at(24 * HOUR_MS, 1000)), { widen: ['retention.ms'], keptWider: [] });
  assert.deepEqual(retentionPlan(at(24 * HOUR_MS, -1), at(HOUR_MS, 1000)), { widen: [], keptWider: ['retention.ms', 'retention.bytes'] });
  assert.deepEqual(retentionPlan(at(HOUR_MS, 1000), at(-1, -1)), { widen: ['retention.ms', 'retention.bytes'], keptWider: [] });
  assert.deepEqual(retentionPlan(at(-1, -1), at(-1, -1)), { widen: [], keptWider: [] });
  // Kafka reads any negative retention.bytes as none: not narrower than -1.
  assert.deepEqual(retentionPlan(at(-1, -5), at(-1, -1)), { widen: [], keptWider: [] });
  assert.deepEqual(askedRetention({ name: 'S', subjects: ['s.events.>'], maxAgeMs: HOUR_MS }), at(HOUR_MS, -1));
});
