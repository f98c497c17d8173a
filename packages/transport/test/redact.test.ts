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

void test('redact: quotes, parentheses, commas and @ are legal in a password and none of it survives', () => {
  assert.equal(redact('nats://alice:s3cr(et@127.0.0.1:1'), 'nats://***@127.0.0.1:1');
  assert.equal(redact("nats://alice:it'sMe@127.0.0.1:1"), 'nats://***@127.0.0.1:1');
  assert.equal(redact('nats://alice:pa"ss)@127.0.0.1:1'), 'nats://***@127.0.0.1:1');
  assert.equal(redact('nats://alice:pa,ss@127.0.0.1:1'), 'nats://***@127.0.0.1:1');
  assert.equal(redact('nats://u:p@ss@h'), 'nats://***@h');
  assert.equal(redact('nats://s3cretToken@h:4222'), 'nats://***@h:4222');
  assert.equal(redact('redis://:s3cret@h:6379/0'), 'redis://***@h:6379/0');
  assert.equal(redact('nats://u:p@[::1]:4222'), 'nats://***@[::1]:4222');
  assert.equal(redact('nats://[::1]:4222,nats://h:4222'), 'nats://[::1]:4222,nats://h:4222');
  assert.equal(redact('ws://[fe80::1%25eth0]:80'), 'ws://[fe80::1%25eth0]:80');
});

void test('redact: a comma in a password is masked with the list around it; what follows the host stays', () => {
  // Everything from :// to the last @ before the host's end goes: the comma can't be told from a separator.
  assert.equal(redact('nats://a:pa,ss@h1,nats://h2'), 'nats://***@h1,nats://h2');
  // A list entry that cut a password in two: the left piece (no @, not a host[:port]) is masked whole.
  assert.equal(redact('nats://alice:pa'), 'nats://***');
  assert.equal(redact('nats://alice:'), 'nats://***');
  assert.equal(['nats://alice:pa', 'ss@127.0.0.1:1'].map(redact).join(', '), 'nats://***, ***@127.0.0.1:1');
  assert.equal(redact('http://h/x?a=b@c'), 'http://h/x?a=b@c');
  assert.equal(redact('amqp://u:p@h/vhost?next=a@b'), 'amqp://***@h/vhost?next=a@b');
  assert.equal(redact('tcp://*:5555,ipc:///tmp/fsbus@1.sock'), 'tcp://*:5555,ipc:///tmp/fsbus@1.sock');
});

void test('redact: a URL quoted in a message, followed by ) \' or "', () => {
  assert.equal(
    redact('cannot connect to NATS (nats://alice:s3cr(et@127.0.0.1:1): connection refused'),
    'cannot connect to NATS (nats://***@127.0.0.1:1): connection refused',
  );
  assert.equal(redact(`bad URL 'nats://alice:it'sMe@h:1', retrying`), `bad URL 'nats://***@h:1', retrying`);
  assert.equal(redact('url "amqp://u:p(w@h" refused'), 'url "amqp://***@h" refused');
  assert.equal(redact('cannot connect to NATS (nats://127.0.0.1:1): connection refused'), 'cannot connect to NATS (nats://127.0.0.1:1): connection refused');
  assert.equal(redact('see http://h:8080/x?to=a@b.'), 'see http://h:8080/x?to=a@b.');
});

void test('redact: linear in the text (a long run of scheme letters or list commas)', () => {
  const letters = 'a'.repeat(200_000);
  assert.equal(redact(letters), letters);
  const list = 'nats://h:1,'.repeat(20_000);
  assert.equal(redact(list), list);
});
