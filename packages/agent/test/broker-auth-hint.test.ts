// A broker that refuses the agent's credentials is said as such, naming the settings to check
// (as a refused ESL password names FSBUS_ESL_PASSWORD): the start used to end on "Authorization
// Violation", three times over, and nothing else. The errors are the drivers' own, from real
// brokers refusing a wrong password; a broker that is not there gets no such hint.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Simulator } from '@fsbus/sim';
import { startNatsServer, startRabbitMq, startRedis } from '@fsbus/testkit';
import { createDriver, type DriverOptions } from '@fsbus/transport';
import { brokerAuthHint } from '../src/config/broker-auth-hint.js';
import { spawnAgent, startedAgent } from './support/agent-process.js';

/** What connect() of `driver` rejects with. */
async function connectError(driver: string, options: DriverOptions): Promise<unknown> {
  const d = await createDriver(driver, { connectTimeoutMs: 5000, ...options });
  try {
    await d.connect();
  } catch (err) {
    return err;
  } finally {
    await d.close().catch(() => undefined);
  }
  throw new Error(`${driver} connected`);
}

void test('the agent refused by NATS at start says which settings to check (exit 78)', async () => {
  const nats = await startNatsServer({ user: { name: 'agent', password: 'right' } });
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  try {
    const agent = spawnAgent({ FSBUS_BROKER_URL: nats.url, FSBUS_BROKER_USER: 'agent', FSBUS_BROKER_PASSWORD: 'wrong', FSBUS_ESL_PORT: String(port), FSBUS_METRICS: 'false', FSBUS_NODE_ID: 'hint' });
    assert.deepEqual(await agent.exited, { code: 78, signal: null });
    const fatal = agent.logs.find((l) => l['msg'] === 'agent could not start');
    assert.ok(fatal !== undefined, JSON.stringify(agent.logs));
    assert.match(String(fatal['hint']), /^the broker refused the agent's credentials: check FSBUS_BROKER_PASSWORD .*FSBUS_BROKER_USER.*FSBUS_BROKER_TOKEN.*FSBUS_BROKER_NKEY_SEED/);
    assert.ok(!JSON.stringify(agent.logs).includes('wrong'), 'the password reached the log');
  } finally {
    await sim.stop();
    await nats.stop();
  }
});

void test('a broker that refuses the credentials after a reconnect: the error line carries the same hint', async () => {
  const nats = await startNatsServer({ token: 'right' });
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const agent = await startedAgent('hint-again', nats.url, port, { FSBUS_BROKER_TOKEN: 'right' });
  try {
    await nats.halt();
    await nats.start({ token: 'changed' });
    const line = await agent.line((l) => l['msg'] === 'broker reported an error', "'broker reported an error'");
    assert.match(String(line['hint']), /^the broker refused the agent's credentials: check FSBUS_BROKER_PASSWORD .*FSBUS_BROKER_TOKEN/);
    assert.ok(!JSON.stringify(agent.logs).includes('right'), 'the token reached the log');
  } finally {
    agent.kill();
    await agent.exited;
    await sim.stop();
    await nats.stop();
  }
});

void test('NATS: a wrong password or token is an auth failure; no server listening is not', async () => {
  const nats = await startNatsServer({ user: { name: 'agent', password: 'right' } });
  try {
    assert.match(brokerAuthHint('nats', await connectError('nats', { urls: [nats.url], auth: { user: 'agent', password: 'wrong' } })) ?? '', /FSBUS_BROKER_NKEY_SEED/);
    assert.ok(brokerAuthHint('nats', await connectError('nats', { urls: [nats.url], auth: { token: 'nope' } })) !== undefined);
  } finally {
    await nats.stop();
  }
  assert.equal(brokerAuthHint('nats', await connectError('nats', { urls: [nats.url] })), undefined);
});

void test('RabbitMQ: a refused login is an auth failure; no broker listening is not', async () => {
  const rabbit = await startRabbitMq({ user: { name: 'agent', password: 'right' } });
  try {
    const hint = brokerAuthHint('amqp', await connectError('amqp', { urls: [rabbit.url], auth: { user: 'agent', password: 'wrong' } }));
    assert.match(hint ?? '', /^the broker refused the agent's credentials: check FSBUS_BROKER_PASSWORD/);
    assert.ok(!(hint ?? '').includes('NKEY'), 'NATS settings named for RabbitMQ');
  } finally {
    await rabbit.stop();
  }
  assert.equal(brokerAuthHint('amqp', await connectError('amqp', { urls: [rabbit.url] })), undefined);
});

void test('Redis: a refused password is an auth failure (the driver keeps the server\'s words); no server listening is not', async () => {
  const redis = await startRedis({ password: 'right' });
  try {
    assert.match(brokerAuthHint('redis', await connectError('redis', { urls: [redis.url], auth: { password: 'wrong' } })) ?? '', /^the broker refused the agent's credentials/);
  } finally {
    await redis.stop();
  }
  assert.equal(brokerAuthHint('redis', await connectError('redis', { urls: [redis.url] })), undefined);
});

void test('Redis, MQTT, Kafka: their clients\' refusals are recognised by their words', () => {
  for (const [driver, message] of [
    ['redis', 'WRONGPASS invalid username-password pair or user is disabled.'],
    ['redis', 'NOAUTH Authentication required.'],
    ['mqtt', 'Connection refused: Not authorized'],
    ['mqtt', 'Connection refused: Bad username or password'],
    ['kafka', 'SASL authentication failed.'], // @platformatic/kafka's AuthenticationError
  ] as const) {
    const wrapped = new Error('cannot connect', { cause: new Error(message) });
    assert.ok(brokerAuthHint(driver, wrapped) !== undefined, `${driver}: ${message}`);
  }
  assert.equal(brokerAuthHint('redis', new Error('Connection is closed.')), undefined);
});
