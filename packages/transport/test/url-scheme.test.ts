// What each reader of a URL's `scheme://` makes of it: the driver a scheme names (the URL trimmed
// first), a password cut by an unencoded `/` (leading whitespace allowed), and the NATS driver's
// user-info split (URLs trimmed before it; none without a scheme). One helper reads the scheme for
// all three: these pin what each did before it.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { driverOfUrl } from '../src/load-driver.js';
import { cutUserInfo } from '../src/url-userinfo.js';
import { toNatsOptions } from '../src/nats/nats-options.js';
import { schemePrefix } from '../src/url-scheme.js';

void test('schemePrefix: `scheme://` at the very start, as written', () => {
  assert.equal(schemePrefix('AMQPS://u:p@h'), 'AMQPS://');
  assert.equal(schemePrefix('kafka+ssl://h'), 'kafka+ssl://');
  assert.equal(schemePrefix('zmq:///tmp/x'), 'zmq://');
  for (const url of [' nats://h', 'nats:/h', '1a://h', '-a://h', 'h:4222', '']) assert.equal(schemePrefix(url), undefined, JSON.stringify(url));
});

void test('driverOfUrl: the scheme of the trimmed URL, any case; none without `scheme://`', () => {
  assert.equal(driverOfUrl('nats://h:4222'), 'nats');
  assert.equal(driverOfUrl('  \tAMQPS://h '), 'amqp');
  assert.equal(driverOfUrl('kafka+ssl://h:9093'), 'kafka');
  assert.equal(driverOfUrl('\u00a0redis://h'), 'redis');
  // A scheme one driver alone reads chooses it; one several read (tcp: mqtt and zmq) chooses none; ws, which no driver reads, none either.
  assert.equal(driverOfUrl('ipc:///run/fsbus.sock'), 'zmq');
  assert.equal(driverOfUrl('kafka+tls://h:9093'), 'kafka');
  assert.equal(driverOfUrl('tls://h'), 'nats');
  for (const url of ['tcp://h:1', 'ws://h', 'wss://h', 'nats:/h', 'nats:h', '1nats://h', '+nats://h', 'h:4222', '', 'x nats://h']) {
    assert.equal(driverOfUrl(url), undefined, JSON.stringify(url));
  }
});

void test('cutUserInfo: leading whitespace before the scheme allowed; no scheme, no cut', () => {
  assert.equal(cutUserInfo('nats://fsbus:s3c/ret@h:4222', 'nats'), true);
  assert.equal(cutUserInfo(' \tnats://fsbus:s3c/ret@h:4222', 'nats'), true);
  assert.equal(cutUserInfo('\u00a0NATS://fsbus:s3c/ret@h:4222', 'nats'), true);
  assert.equal(cutUserInfo('x+y.z-1://fsbus:s3c?ret@h', 'amqp'), true);
  assert.equal(cutUserInfo('fsbus:s3c/ret@h:4222', 'nats'), false);
  assert.equal(cutUserInfo('x nats://fsbus:s3c/ret@h:4222', 'nats'), false);
  assert.equal(cutUserInfo('1nats://fsbus:s3c/ret@h:4222', 'nats'), false);
  assert.equal(cutUserInfo('nats://fsbus:s3c%2Fret@h:4222', 'nats'), false);
});

void test('toNatsOptions: user-info taken off each URL after its scheme, or off a bare host', () => {
  const o = toNatsOptions({ urls: [' nats://alice:p%40ss@h1:4222 , TLS://h2:4222', 'tok@h3:4222'] });
  assert.deepEqual(o.servers, ['nats://h1:4222', 'TLS://h2:4222', 'h3:4222']);
  assert.equal(o.user, 'alice');
  assert.equal(o.pass, 'p@ss');
  assert.equal(toNatsOptions({ urls: ['tok@h3:4222'] }).token, 'tok');
  assert.deepEqual(toNatsOptions({ urls: ['x+y://s3cr3t@h:1'] }).servers, ['x+y://h:1']);
  assert.equal(toNatsOptions({ urls: ['x+y://s3cr3t@h:1'] }).token, 's3cr3t');
});
