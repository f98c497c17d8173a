// brokerUrlProblem: the one check of a broker URL's form, before a driver reads it (the agent's
// config, the CLI's --server, createDriver). What each driver reads is accepted; a typo is said
// with the URL redacted.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { brokerUrlProblem, driverForUrls } from '../src/index.js';

void test('brokerUrlProblem: the forms the drivers read pass', () => {
  for (const [driver, url] of [
    ['nats', 'nats://127.0.0.1:4222'],
    ['nats', 'tls://nats1.example.net:4222'],
    ['nats', '127.0.0.1:4222'],
    ['nats', 'u:p@h:4222'],
    ['nats', 'nats://[::1]:4222,nats://h:4222'],
    ['nats', 'nats://fsbus:s3c?ret#PW@h:4222'],
    ['nats', 'nats://a:4222/path@x'],
    ['nats', 'nats://127.0.0.1:1, ,nats://127.0.0.1:2,'],
    ['nats', ' NATS://bücher.example '],
    ['amqp', 'amqps://u:p@h/vhost?heartbeat=10'],
    ['amqp', 'amqp://[::1]:5672'],
    ['redis', 'rediss://:p@127.0.0.1:6380/0'],
    ['mqtt', 'mqtt://127.0.0.1:1883,mqtts://h'],
    ['mqtt', 'tcp://h:1883'],
    ['kafka', 'kafka://a:9092,b:9092'],
    ['kafka', 'kafka+ssl://127.0.0.1:9093'],
    ['kafka', 'kafka+tls://127.0.0.1:9093'],
    ['zmq', 'tcp://*:5555,ipc:///tmp/fsbus@1.sock'],
    ['zmq', 'zmq://127.0.0.1:5555?events=5556&bind'],
    ['zmq', '127.0.0.1:5555'],
    // No driver of that name: loadDriver's error says so.
    ['carrier-pigeon', 'amqp//h'],
  ]) {
    assert.equal(brokerUrlProblem(url!, driver!), undefined, `${driver}: ${url}`);
  }
});

void test('brokerUrlProblem: a typo is said, the password masked', () => {
  for (const [driver, url, message] of [
    ['nats', 'amqp//127.0.0.1:31449', /^amqp\/\/127\.0\.0\.1:31449: no scheme:\/\/ \(a ':' or a '\/' missing\?\), and no host\[:port\] either$/],
    ['amqp', 'amqp://127.0.0.1:314490', /^amqp:\/\/127\.0\.0\.1:314490: port 314490 is not 1-65535$/],
    ['amqp', 'ampq://u:secretPW@127.0.0.1:31449', /^ampq:\/\/\*\*\*@127\.0\.0\.1:31449: unknown scheme 'ampq:\/\/' \(known: nats:\/\/, /],
    ['amqp', 'tcp://h:5671', /'tcp:\/\/' is not a scheme of the amqp driver \(amqp:\/\/, amqps:\/\/\)/],
    // Schemes no driver acts on: TLS that would not happen (the password in clear), WebSocket.
    ['mqtt', 'tls://u:secretPW@h:8883', /'tls:\/\/' is not a scheme of the mqtt driver \(mqtt:\/\/, mqtts:\/\/, tcp:\/\/\)/],
    ['mqtt', 'wss://h:443', /unknown scheme 'wss:\/\/'/],
    ['nats', 'ws://h:8080', /unknown scheme 'ws:\/\/'/],
    ['redis', '127.0.0.1:6379', /no scheme:\/\/: the redis driver needs one \(redis:\/\/host\[:port\]\)/],
    ['nats', 'nats://h1:4222,nats://', /^nats:\/\/: no host$/],
    ['nats', 'nats://alice:secretPW,ss@h', /^nats:\/\/\*\*\*: the port is not a number$/],
    ['nats', 'nats:/h:4222', /no scheme:\/\//],
    ['nats', 'nats://h:', /no port after the host's ":"/],
    ['zmq', 'ipc://tmp/x.sock', /ipc:\/\/ takes a path/],
    // WHATWG URLs (amqplib's, ioredis's, mqtt.js's parser) have no IPv6 zone.
    ['amqp', 'amqp://[fe80::1%25eth0]:5672', /not a URL the driver can read/],
    ['nats', 'nats://fsbus:s3c/secretPW@h:4222', /percent-encode the password/],
  ] as const) {
    const problem = brokerUrlProblem(url, driver);
    assert.ok(problem !== undefined, `${driver}: ${url} accepted`);
    assert.match(problem, message);
    assert.ok(!problem.includes('secretPW'), problem);
  }
});

void test('driverForUrls: a scheme no driver reads is a mismatch, not nats', () => {
  assert.deepEqual(driverForUrls(undefined, ['ampq://u:secretPW@h:5672']), { mismatch: "ampq://***@h:5672: unknown scheme 'ampq://' (known: nats://, tls://, amqp://, amqps://, redis://, rediss://, mqtt://, mqtts://, tcp://, kafka://, kafka+ssl://, kafka+tls://, zmq://, ipc://)" });
  assert.ok('mismatch' in driverForUrls(undefined, ['nats://a:4222,ampq://b:4222']));
  // What names no driver but some read stays the nats default; without a scheme too.
  assert.deepEqual(driverForUrls(undefined, ['tls://h:4222']), { driver: 'nats' });
  assert.deepEqual(driverForUrls(undefined, ['127.0.0.1:4222']), { driver: 'nats' });
  // A driver named: brokerUrlProblem says it.
  assert.deepEqual(driverForUrls('amqp', ['ampq://h']), { driver: 'amqp' });
});
