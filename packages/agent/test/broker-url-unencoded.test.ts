// A broker URL whose password holds an unencoded `/` (base64 passwords do), `?` or `#` cannot be
// used: URL parsers end the authority there, and the NATS driver failed with "Invalid URL" (the
// log showing `nats://***/retPW@…`, half the password). The agent refuses it at start (exit 78),
// naming the variable and telling to percent-encode, without printing the secret; percent-encoded
// it connects.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver, TransportError, TransportErrorCode } from '@fsbus/transport';
import { loadConfig } from '../src/config/load-config.js';
import { spawnAgent } from './support/agent-process.js';
import { configRefusal } from './support/config-refusal.js';

const SECRET = 's3c/retPW';

void test('NATS: the unencoded URL is refused when the driver is created, the percent-encoded one connects', async () => {
  const nats = await startNatsServer({ user: { name: 'fsbus', password: SECRET } });
  try {
    const unencoded = nats.url.replace('nats://', `nats://fsbus:${SECRET}@`);
    // Refused when the driver is created, whoever creates it (the SDK's connect() too).
    await assert.rejects(createDriver('nats', { urls: [unencoded], connectTimeoutMs: 5000 }), (err: Error) => {
      assert.ok(err instanceof TransportError && err.code === TransportErrorCode.INVALID_OPTION, String(err));
      assert.match(err.message, /percent-encode the password/);
      assert.ok(!err.message.includes('retPW'), err.message);
      return true;
    });
    const good = await createDriver('nats', { urls: [nats.url.replace('nats://', `nats://fsbus:${encodeURIComponent(SECRET)}@`)], connectTimeoutMs: 5000 });
    await good.connect();
    await good.close();
  } finally {
    await nats.stop();
  }
});

void test('config: a /, ? or # before the last @ of a broker URL is refused, naming the variable, the secret not shown', () => {
  for (const url of ['nats://fsbus:s3c/retPW@127.0.0.1:24222', 'nats://h0:4222,nats://fsbus:s3c/retPW@h1:4222', 'amqp://fsbus:s3c?retPW@h:5672', 'redis://:s3c#retPW@h:6379']) {
    for (const name of ['FSBUS_BROKER_URL', 'MOD_EVENT_AGENT_URL']) {
      const err = configRefusal(() => loadConfig({ env: { FSBUS_NODE_ID: 'n1', [name]: url } }));
      assert.equal(err.field, name, url);
      assert.match(err.message, /percent-encode the password \(\/ → %2F/, url);
      assert.ok(!err.message.includes('retPW'), err.message);
    }
  }
});

void test('config: what the drivers read right is still accepted', () => {
  for (const url of [
    'nats://fsbus:s3c%2FretPW@h:4222',
    // The NATS driver takes the user-info up to the last @ before the first `/`: `?` and `#` are fine there.
    'nats://fsbus:s3c?ret#PW@h:4222',
    'amqp://fsbus:p@h:5672/vhost?heartbeat=10',
    'nats://h1:4222,nats://h2:4222',
    // A host and a path with an @.
    'nats://a:4222/path@x',
  ]) {
    assert.deepEqual(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_URL: url } }).broker.urls, url.split(','), url);
  }
  assert.deepEqual(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: 'zmq', FSBUS_BROKER_URL: 'tcp://*:5555' } }).broker.urls, ['tcp://*:5555']);
});

void test('config file: a URL with such a password is refused as credentials in a file are', () => {
  const err = configRefusal(() => loadConfig({ values: { node_id: 'n1', broker: { urls: ['nats://fsbus:s3c/retPW@h:4222'] } }, env: {} }));
  assert.equal(err.field, 'broker.urls');
  assert.match(err.message, /credentials in a URL are secrets/);
  assert.ok(!err.message.includes('retPW'), err.message);
});

void test('fsbus agent with such a URL exits 78 naming FSBUS_BROKER_URL, not 1 on a connect failure', async () => {
  const agent = spawnAgent({ FSBUS_BROKER_URL: `nats://fsbus:${SECRET}@127.0.0.1:1`, FSBUS_METRICS: 'false', FSBUS_NODE_ID: 'enc' });
  const { code } = await agent.exited;
  assert.equal(code, 78, agent.stderr());
  assert.match(agent.stderr(), /^fsbus agent: invalid config: FSBUS_BROKER_URL: .*percent-encode/);
  assert.ok(!agent.stderr().includes('retPW') && !JSON.stringify(agent.logs).includes('retPW'), agent.stderr());
});
