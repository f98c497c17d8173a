/**
 * The agent reaches a TLS broker configured only from the environment (FSBUS_BROKER_URL with
 * `rediss://`, FSBUS_BROKER_TLS_CA), as an operator would deploy it, and answers over it; the
 * same for ZeroMQ with CURVE keys and a client allow-list (FSBUS_ZMQ_CURVE_*).
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { Agent, loadConfig } from '@fsbus/agent';
import { decodeReply } from '@fsbus/contract';
import { Simulator } from '@fsbus/sim';
import { freePort, makeCurveKeys, makeTestCertificate, startRedis } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { until } from './support/cluster.js';

void test('agent over TLS from FSBUS_BROKER_URL + FSBUS_BROKER_TLS_CA (redis)', async () => {
  const cert = await makeTestCertificate();
  const redis = await startRedis({ tls: cert });
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  let agent: Agent | undefined;
  const client = await createDriver('redis', { urls: [redis.tlsUrl!], tls: { caFile: cert.certFile } });
  try {
    const config = loadConfig({
      env: {
        FSBUS_NODE_ID: 'tls-1',
        FSBUS_DRIVER: 'redis',
        FSBUS_BROKER_URL: redis.tlsUrl,
        FSBUS_BROKER_TLS_CA: cert.certFile,
        FSBUS_ESL_HOST: '127.0.0.1',
        FSBUS_ESL_PORT: String(port),
        FSBUS_METRICS_PORT: '0',
        FSBUS_METRICS_HOST: '127.0.0.1',
      },
    });
    assert.deepEqual(config.broker.tls, { ca_file: cert.certFile });
    const started = new Agent(config, { logger: pino({ level: 'silent' }) });
    agent = started;
    await started.start();
    await until(started, () => started.ready, 'agent ready over TLS');
    await client.connect();
    const reply = decodeReply((await client.request('freeswitch.api', new TextEncoder().encode('{"command":"status"}'), { timeoutMs: 10_000 })).data);
    assert.equal(reply.success, true, reply.message);
    assert.equal(reply.node_id, 'tls-1');
    assert.match(String(reply.data), /UP /);
  } finally {
    await client.close();
    await agent?.stop();
    await sim.stop();
    await redis.stop();
    await cert.remove();
  }
});

void test('agent over ZeroMQ CURVE from FSBUS_ZMQ_CURVE_SECRET_KEY and _CLIENT_KEYS; the secret is refused from a file', async () => {
  const keys = makeCurveKeys();
  const [crm, billing] = [makeCurveKeys(), makeCurveKeys()];
  const url = `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}`;
  assert.throws(() => loadConfig({ values: { node_id: 'x', broker: { curve: { secret_key: keys.secretKey } } }, env: {} }), {
    field: 'broker.curve.secret_key',
  });
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  let agent: Agent | undefined;
  const client = await createDriver('zmq', { urls: [url], curve: { serverKey: keys.publicKey, ...billing } });
  const stranger = await createDriver('zmq', { urls: [url], curve: { serverKey: keys.publicKey } });
  try {
    const config = loadConfig({
      env: {
        FSBUS_NODE_ID: 'curve-1',
        FSBUS_DRIVER: 'zmq',
        FSBUS_BROKER_URL: url,
        FSBUS_ZMQ_CURVE_PUBLIC_KEY: keys.publicKey,
        FSBUS_ZMQ_CURVE_SECRET_KEY: keys.secretKey,
        FSBUS_ZMQ_CURVE_CLIENT_KEYS: `${crm.publicKey},${billing.publicKey}`,
        FSBUS_ESL_HOST: '127.0.0.1',
        FSBUS_ESL_PORT: String(port),
        FSBUS_METRICS_PORT: '0',
        FSBUS_METRICS_HOST: '127.0.0.1',
      },
    });
    assert.equal(config.secrets.zmqCurveSecretKey, keys.secretKey);
    assert.deepEqual(config.broker.curve?.client_keys, [crm.publicKey, billing.publicKey]);
    const started = new Agent(config, { logger: pino({ level: 'silent' }) });
    agent = started;
    await started.start();
    await until(started, () => started.ready, 'agent ready over CURVE');
    await client.connect();
    const reply = decodeReply((await client.request('freeswitch.api', new TextEncoder().encode('{"command":"status"}'), { timeoutMs: 10_000 })).data);
    assert.equal(reply.success, true, reply.message);
    assert.equal(reply.node_id, 'curve-1');
    // A client holding the server key but not a listed key pair is refused, typed, and counted.
    await stranger.connect();
    await assert.rejects(stranger.request('freeswitch.api', new TextEncoder().encode('{"command":"status"}'), { timeoutMs: 1500 }), (err: { code?: string }) =>
      ['FSBUS_ERR_TRANSPORT_TIMEOUT', 'FSBUS_ERR_TRANSPORT_NO_RESPONDERS'].includes(err.code ?? ''),
    );
    assert.match(await started.metrics.registry.metrics(), /fsbus_broker_clients_refused_total\{node_id="curve-1"\} [1-9]/);
  } finally {
    await stranger.close();
    await client.close();
    await agent?.stop();
    await sim.stop();
  }
});
