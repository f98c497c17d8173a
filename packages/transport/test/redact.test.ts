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
  assert.equal(redact('http://h/x?a=b'), 'http://h/x?a=b');
  assert.equal(redact('amqp://u:p@h/vhost?heartbeat=10'), 'amqp://***@h/vhost?heartbeat=10');
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
  assert.equal(redact('see http://h:8080/x?to=a.'), 'see http://h:8080/x?to=a.');
});

void test('redact: a password holding an unencoded /, ? or # (base64) is masked whole, alone, in a list and in a message', () => {
  assert.equal(redact('nats://fsbus:s3c/retPW@127.0.0.1:24222'), 'nats://***@127.0.0.1:24222');
  assert.equal(redact('amqp://fsbus:aGVs/bG8+d29y=bGQ@h:5672/vhost'), 'amqp://***@h:5672/vhost');
  assert.equal(redact('redis://:s3c?ret@h:6379/0'), 'redis://***@h:6379/0');
  assert.equal(redact('mqtt://u:s3c#ret@h:1883'), 'mqtt://***@h:1883');
  // A password that starts like a port: `fsbus:123` reads as host:port, what follows as a path.
  assert.equal(redact('nats://fsbus:123/retPW@h:4222'), 'nats://***@h:4222');
  // A token (no colon) with a slash.
  assert.equal(redact('nats://tok/en@h'), 'nats://***@h');
  assert.equal(redact('nats://fsbus:s3c/retPW@h1:4222,nats://c:d?e@h2'), 'nats://***@h1:4222,nats://***@h2');
  assert.equal(redact('nats://h0:4222,nats://fsbus:s/x@h1'), 'nats://h0:4222,nats://***@h1');
  assert.equal(redact('mqtt://127.0.0.1:1, mqtt://u:p/q@x:2'), 'mqtt://127.0.0.1:1, mqtt://***@x:2');
  assert.equal(
    redact('cannot connect to NATS (nats://fsbus:s3c/retPW@127.0.0.1:24222): Invalid URL'),
    'cannot connect to NATS (nats://***@127.0.0.1:24222): Invalid URL',
  );
  assert.equal(redact(`bad URL 'amqp://u:a/b'c@h:1', retrying`), `bad URL 'amqp://***@h:1', retrying`);
  // Without a scheme (a library's message, Kafka's bootstrap list).
  assert.equal(redact('getaddrinfo ENOTFOUND alice:s3c/retPW@127.0.0.1'), 'getaddrinfo ENOTFOUND ***@127.0.0.1');
  // A list cut on commas, or a message that lost the host: no @ left, the rest is masked.
  assert.equal(redact('nats://alice:s3c/retPW'), 'nats://***');
  assert.equal(redact('nats://alice:s3c?ret, retrying'), 'nats://***, retrying');
  assert.equal(['nats://alice:p/a', 's/s@127.0.0.1:1'].map(redact).join(', '), 'nats://***, ***@127.0.0.1:1');
});

void test('redact: an @ in a path or query may be masked with what precedes it (never a password shown)', () => {
  // `u:p@h/vhost?next=a` could be a password: what is up to the last @ goes.
  assert.equal(redact('amqp://u:p@h/vhost?next=a@b'), 'amqp://***@b');
  assert.equal(redact('http://h/x?a=b@c'), 'http://***@c');
  assert.equal(redact('see http://h:8080/x?to=a@b.'), 'see http://***@b.');
  // An empty authority (`scheme:///path`) has no user-info.
  assert.equal(redact('ipc:///tmp/fsbus@1.sock'), 'ipc:///tmp/fsbus@1.sock');
});

void test('redact: linear in the text (a long run of scheme letters or list commas)', () => {
  const letters = 'a'.repeat(200_000);
  assert.equal(redact(letters), letters);
  const list = 'nats://h:1,'.repeat(20_000);
  assert.equal(redact(list), list);
});
