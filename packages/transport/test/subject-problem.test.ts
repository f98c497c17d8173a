// Driver.subjectProblem(): why a driver can never publish to a subject, asked before anything is
// sent (the agent refuses such a forward_to up front instead of running the command and dropping
// the copy). Each driver answers with its own publish-time check: pure, no broker needed.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createDriver, type Driver } from '@fsbus/transport';
import { enc } from './conformance/helpers.js';

const URLS: Readonly<Record<string, string>> = {
  nats: 'nats://127.0.0.1:1',
  amqp: 'amqp://127.0.0.1:1',
  redis: 'redis://127.0.0.1:1',
  mqtt: 'mqtt://127.0.0.1:1',
  kafka: 'kafka://127.0.0.1:1',
  zmq: 'zmq://127.0.0.1:1',
};

/** A driver never connected: the check must not need its broker. */
async function unconnected(name: string, t: { after(fn: () => Promise<void>): void }): Promise<Driver> {
  const driver = await createDriver(name, { urls: [URLS[name]!] });
  t.after(() => driver.close());
  return driver;
}

const KAFKA_RULE = "a subject is at most 249 characters, dot-separated tokens of [A-Za-z0-9_-] (Kafka's topic-name rule)";
const ZMQ_RULE = 'a subject is at most 249 characters, dot-separated tokens of [A-Za-z0-9_-]';
/** What a forward_to may be (the contract's publishable subject) and Kafka still cannot carry. */
const NOT_KAFKA = ['a.'.padEnd(255, 'b'), 'x'.repeat(250), 'results.a:b', 'results.$x'];

void test('every driver carries an ordinary subject', async (t) => {
  for (const name of Object.keys(URLS)) {
    const driver = await unconnected(name, t);
    assert.equal(driver.subjectProblem('freeswitch.results.job-1_A'), undefined, name);
    assert.equal(driver.subjectProblem('a.'.padEnd(249, 'b')), undefined, name);
  }
});

void test('kafka: a subject over 249 characters or with a character outside [A-Za-z0-9_-] in a token is named, and publish drops it', async (t) => {
  const kafka = await unconnected('kafka', t);
  for (const subject of NOT_KAFKA) {
    assert.equal(kafka.subjectProblem(subject), KAFKA_RULE, subject);
    assert.equal(kafka.publish(subject, enc('x')), 'dropped', subject);
  }
  assert.equal(kafka.stats().dropped, NOT_KAFKA.length);
  // The same check: what it lets through is taken (buffered until the broker is there).
  assert.equal(kafka.publish('freeswitch.results.job-1', enc('x')), 'buffered');
});

void test('zmq: the same subject rule as kafka, in its own words, and publish drops what it names', async (t) => {
  const zmq = await unconnected('zmq', t);
  for (const subject of NOT_KAFKA) {
    assert.equal(zmq.subjectProblem(subject), ZMQ_RULE, subject);
    assert.equal(zmq.publish(subject, enc('x')), 'dropped', subject);
  }
  assert.equal(zmq.stats().dropped, NOT_KAFKA.length);
});

void test('nats: a subject too long for a control line is named (the check rawSend makes)', async (t) => {
  const nats = await unconnected('nats', t);
  assert.match(nats.subjectProblem(`fs.events.${'x'.repeat(5000)}`) ?? '', /^the subject is 5010 bytes, over the 3840 a NATS control line leaves it/);
  // What a contract subject may be (≤ 255 characters) always fits: NATS refuses no forward_to.
  for (const subject of NOT_KAFKA) assert.equal(nats.subjectProblem(subject), undefined, subject);
});

void test('amqp: a routing key over 255 bytes or holding a space or wildcard is named', async (t) => {
  const amqp = await unconnected('amqp', t);
  assert.equal(amqp.subjectProblem('a.'.padEnd(256, 'b')), 'a routing key is at most 255 bytes');
  assert.equal(amqp.subjectProblem('a.é'.padEnd(255, 'b')), 'a routing key is at most 255 bytes');
  for (const subject of ['a.#', 'a b', 'a..b', 'a.*']) {
    assert.equal(amqp.subjectProblem(subject), 'a routing key is dot-separated tokens without spaces or wildcards (* # >)', subject);
  }
  for (const subject of NOT_KAFKA) assert.equal(amqp.subjectProblem(subject), undefined, subject);
});

void test('mqtt: a subject whose topic would hold /, + or #, U+0000, or be over 65,535 bytes is named', async (t) => {
  const mqtt = await unconnected('mqtt', t);
  for (const subject of ['a/b', 'a.+', 'a.#', 'a b', 'a..b']) {
    assert.equal(mqtt.subjectProblem(subject), 'a subject is dot-separated tokens without spaces, wildcards (* > + #) or /', subject);
  }
  assert.equal(mqtt.subjectProblem('a.b\u0000c'), 'an MQTT topic name may not hold U+0000 nor be over 65535 bytes: it holds U+0000');
  assert.equal(mqtt.subjectProblem(`a.${'b'.repeat(65_534)}`), 'an MQTT topic name may not hold U+0000 nor be over 65535 bytes: it is over 65535 bytes');
  for (const subject of NOT_KAFKA) assert.equal(mqtt.subjectProblem(subject), undefined, subject);
});

void test('redis: only a subject that is not dotted tokens (a space, a wildcard) is named', async (t) => {
  const redis = await unconnected('redis', t);
  for (const subject of ['a b', 'a.*', 'a.>', 'a..b']) {
    assert.equal(redis.subjectProblem(subject), 'a subject is dot-separated tokens without spaces or wildcards (* >)', subject);
  }
  for (const subject of [...NOT_KAFKA, `a.${'b'.repeat(70_000)}`]) assert.equal(redis.subjectProblem(subject), undefined, subject.slice(0, 40));
});
