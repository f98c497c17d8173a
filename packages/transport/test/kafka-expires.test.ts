// Kafka: a request's `fsbus-expires` header is the requester's deadline in epoch milliseconds. A
// client in another language that wrote seconds had every request skipped as late (only a `late_ms`
// log line on the agent's side), and one that wrote text ("soon") or 0 had it run with no deadline.
// A server refuses an `fsbus-expires` that is not a finite number ≥ 1e12 (a value in seconds is
// below it), as on Redis: not run, the requester gets FSBUS_ERR_BUS_INVALID_ARGUMENT on its reply
// topic with its correlation id, and the refusal is counted and logged.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { Admin, Producer } from '@platformatic/kafka';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import type { Driver, DriverLogger } from '@fsbus/transport';
import { baseOptions, ensurePromiseWithResolvers } from '../src/drivers/kafka/kafka-options.js';
import { KafkaReader } from '../src/drivers/kafka/kafka-reader.js';
import { REFUSED_EXPIRES_LOG } from '../src/drivers/kafka/kafka-serve.js';
import { readHeaders } from '../src/drivers/kafka/kafka-wire.js';
import { Collector, dec, enc, openDriver } from './conformance/helpers.js';

ensurePromiseWithResolvers();

/** A bound for what must happen, only there to fail by name instead of hanging. */
const BOUND_MS = 90_000;
const LANE = 'kex.api';
let kafka: KafkaHandle;
let admin: Admin;
const drivers: Driver[] = [];

before(async () => {
  kafka = await startKafka();
  admin = new Admin(baseOptions({ urls: [kafka.url] }, 'expires-admin'));
});
after(async () => {
  await Promise.allSettled(drivers.map((d) => d.close()));
  await admin.close();
  await kafka.stop();
});

function open(name: string, logger?: DriverLogger): Promise<Driver> {
  return openDriver(drivers, 'kafka', { urls: [kafka.url], name, ...(logger === undefined ? {} : { logger }) });
}

/** A request as a client in another language produces it (docs/drivers/kafka.md, "From any language"). */
function rawRequest(id: string, expires: string | undefined, replyTo: string | undefined): { topic: string; value: Buffer; headers: Map<Buffer, Buffer> } {
  const headers: Record<string, string> = { 'fsbus-subject': LANE, 'fsbus-correlation-id': id };
  if (replyTo !== undefined) headers['fsbus-reply-to'] = replyTo;
  if (expires !== undefined) headers['fsbus-expires'] = expires;
  return { topic: LANE, value: Buffer.from(`{"command":"status","correlation_id":"body-${id}"}`), headers: new Map(Object.entries(headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])) };
}

void test('kafka: an fsbus-expires in seconds or not a number is refused with INVALID_ARGUMENT on the reply topic, not run; epoch ms, empty or absent run', { timeout: 180_000 }, async () => {
  // One partition: its records are read in order.
  await admin.createTopics({ topics: [LANE], partitions: 1, replicas: -1 });
  const warnings: Array<{ fields: Record<string, unknown>; msg: string | undefined }> = [];
  const nop = () => undefined;
  const agent = await open('expires-agent', { debug: nop, info: nop, error: nop, warn: (fields, msg) => void warnings.push({ fields: fields as Record<string, unknown>, msg }) });
  const client = await open('expires-client');
  const ran: string[] = [];
  agent.serve({ subject: LANE, competing: true }, (req) => {
    ran.push((JSON.parse(dec(req.data)) as { correlation_id: string }).correlation_id);
    return enc('{"success":true}');
  });
  await agent.flush();

  const inbox = `fsbus.inbox.raw-${randomUUID()}`;
  await admin.createTopics({ topics: [inbox], partitions: 1, replicas: -1 });
  const nowMs = Date.now();
  const seconds = String(Math.floor(nowMs / 1000) + 60);
  const raw = new Producer({ clientId: 'expires-raw', bootstrapBrokers: [kafka.bootstrap] });
  try {
    await raw.send({
      messages: [
        rawRequest('seconds', seconds, inbox),
        rawRequest('text', 'soon', inbox),
        rawRequest('zero', '0', inbox),
        rawRequest('ms', String(nowMs + 60_000), inbox),
        rawRequest('empty', '', inbox),
        rawRequest('absent', undefined, inbox),
        rawRequest('no-reply-to', 'soon', undefined),
      ],
    });
  } finally {
    await raw.close();
  }
  // One partition, read in order: once this is answered, every record before it was handled.
  await client.request(LANE, enc('{"command":"status","correlation_id":"sdk"}'), { timeoutMs: BOUND_MS });
  await agent.flush();
  assert.deepEqual(ran, ['body-ms', 'body-empty', 'body-absent', 'sdk'], 'only epoch ms (or no deadline) ran');

  const replies = new Collector<[string, Record<string, unknown>]>();
  const reader = new KafkaReader(baseOptions({ urls: [kafka.url] }, `${inbox}-reader`), { topic: inbox, group: inbox, mode: 'earliest', commitEach: false }, (m) =>
    replies.push([readHeaders(m)['fsbus-correlation-id'] ?? '', JSON.parse(m.value?.toString() ?? '') as Record<string, unknown>]),
  );
  reader.start();
  let byId: Map<string, Record<string, unknown>>;
  try {
    byId = new Map(await replies.until(6, BOUND_MS));
  } finally {
    await reader.close();
  }
  for (const [id, sent] of [['seconds', seconds], ['text', 'soon'], ['zero', '0']] as const) {
    const reply = byId.get(id);
    assert.ok(reply !== undefined, `${id}: a reply, with the record's correlation id`);
    assert.equal(reply['success'], false, id);
    assert.equal(reply['code'], 'FSBUS_ERR_BUS_INVALID_ARGUMENT', id);
    assert.equal(reply['message'], `expires must be epoch milliseconds (a number ≥ 1000000000000, e.g. Date.now() + 5000), not seconds: got ${JSON.stringify(sent)}`, id);
    assert.equal(reply['correlation_id'], `body-${id}`, `${id}: the body's correlation_id echoed, as every refusal does`);
  }
  for (const id of ['ms', 'empty', 'absent']) assert.equal(byId.get(id)?.['success'], true, id);
  assert.equal(agent.stats().requestsRefused, 4, 'counted, the one without a reply topic too');
  assert.equal(agent.stats().expired, 0, 'none taken for late');
  const logged = warnings.find((w) => w.msg === REFUSED_EXPIRES_LOG);
  assert.deepEqual(logged?.fields, { subject: LANE, expires: seconds });
});
