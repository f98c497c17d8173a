// A broker URL that no driver can read (a missing `:`, a port past 65535, a scheme typo) is a
// config error at start, naming the variable (exit 78, which the systemd unit does not restart),
// not a connect failure (exit 1, restarted every 2 s): `amqp//h:1` failed with a bare "Invalid
// URL", and without `driver:` a scheme typo (`ampq://`) was taken for NATS and timed out.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { ConfigError } from '../src/errors.js';
import { loadConfig } from '../src/config/load-config.js';
import { spawnAgent } from './support/agent-process.js';

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ env: { FSBUS_NODE_ID: 'n1', ...env } });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail(`accepted: ${JSON.stringify(env)}`);
}

void test('config: a broker URL of no valid form is refused, naming the variable and the problem, the password masked', () => {
  for (const [env, message] of [
    [{ FSBUS_BROKER_URL: 'amqp//127.0.0.1:31449' }, /amqp\/\/127\.0\.0\.1:31449: no scheme:\/\//],
    [{ FSBUS_BROKER_URL: 'amqp://127.0.0.1:314490' }, /port 314490 is not 1-65535/],
    [{ FSBUS_BROKER_URL: 'nats://127.0.0.1:0' }, /port 0 is not 1-65535/],
    [{ FSBUS_BROKER_URL: 'ampq://u:secretPW@127.0.0.1:31449' }, /ampq:\/\/\*\*\*@127\.0\.0\.1:31449: unknown scheme 'ampq:\/\/'/],
    [{ FSBUS_DRIVER: 'amqp', FSBUS_BROKER_URL: 'ampq://127.0.0.1:31449' }, /unknown scheme 'ampq:\/\/'/],
    [{ FSBUS_DRIVER: 'amqp', FSBUS_BROKER_URL: 'tcp://127.0.0.1:5671' }, /'tcp:\/\/' is not a scheme of the amqp driver \(amqp:\/\/, amqps:\/\/\)/],
    [{ FSBUS_DRIVER: 'amqp', FSBUS_BROKER_URL: '127.0.0.1:5672' }, /no scheme:\/\/: the amqp driver needs one/],
    [{ FSBUS_BROKER_URL: 'nats://h1:4222,nats://:secretPW' }, /no host/],
    [{ MOD_EVENT_AGENT_URL: 'redis://127.0.0.1:x6379' }, /port is not a number/],
  ] as const) {
    const err = refusal(env);
    const name = Object.keys(env).find((k) => k !== 'FSBUS_DRIVER')!;
    assert.equal(err.field, name, err.message);
    assert.match(err.message, message);
    assert.ok(!err.message.includes('secretPW'), err.message);
  }
});

void test('config: the forms the drivers read are still accepted', () => {
  for (const [driver, url] of [
    [undefined, 'nats://127.0.0.1:4222'],
    [undefined, '127.0.0.1:4222'],
    [undefined, 'tls://nats1.example.net:4222'],
    [undefined, 'nats://[::1]:4222,nats://h:4222'],
    [undefined, 'nats://u:p@a:4222,b:4222'],
    [undefined, 'NATS://H'],
    [undefined, 'amqps://u:p@h/vhost?heartbeat=10'],
    [undefined, 'rediss://:p@127.0.0.1:6380/0'],
    [undefined, 'mqtt://127.0.0.1:1883'],
    [undefined, 'kafka://a:9092,b:9092'],
    [undefined, 'kafka+ssl://127.0.0.1:9093'],
    ['kafka', 'a:9092'],
    ['mqtt', 'tcp://h:1883'],
    ['zmq', 'tcp://*:5555,ipc:///tmp/fsbus@1.sock'],
    ['zmq', 'zmq://0.0.0.0:5555?mode=mod_event_zmq'],
    ['zmq', 'zmq://127.0.0.1:5555?events=5556&bind'],
  ] as const) {
    const env = { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_URL: url, ...(driver === undefined ? {} : { FSBUS_DRIVER: driver }) };
    assert.deepEqual(loadConfig({ env }).broker.urls, url.split(','), url);
  }
});

void test('fsbus agent with a mistyped broker URL exits 78 naming FSBUS_BROKER_URL, not 1 on a connect failure', async () => {
  const agent = spawnAgent({ FSBUS_BROKER_URL: 'amqp//127.0.0.1:1', FSBUS_METRICS: 'false', FSBUS_NODE_ID: 'syntax' });
  const { code } = await agent.exited;
  assert.equal(code, 78, agent.stderr());
  assert.match(agent.stderr(), /^fsbus agent: invalid config: FSBUS_BROKER_URL: amqp\/\/127\.0\.0\.1:1: /);
});
