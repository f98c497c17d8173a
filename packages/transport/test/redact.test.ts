import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { redact } from '../src/redact.js';

void test('redact: user-info leaves every URL of a list, a bare host list and a library message', () => {
  assert.equal(redact('amqp://alice:S3cretPw@127.0.0.1:1'), 'amqp://***@127.0.0.1:1');
  assert.equal(redact('amqp://u:p@h/vhost?heartbeat=10'), 'amqp://***@h/vhost?heartbeat=10');
  assert.equal(redact('nats://a:b@h1:4222,nats://c:d@h2'), 'nats://***@h1:4222,nats://***@h2');
  assert.equal(redact('mqtt://127.0.0.1:1, mqtt://u:p@x:2'), 'mqtt://127.0.0.1:1, mqtt://***@x:2');
  assert.equal(redact('alice:S3c@ret@127.0.0.1:9092'), '***@127.0.0.1:9092');
  assert.equal(redact('getaddrinfo ENOTFOUND alice:S3cretPw@127.0.0.1'), 'getaddrinfo ENOTFOUND ***@127.0.0.1');
  assert.equal(redact('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
  assert.equal(redact('connect ECONNREFUSED 127.0.0.1:1'), 'connect ECONNREFUSED 127.0.0.1:1');
});
