// A NATS `.creds` file (operator-mode servers: nsc, Synadia Cloud) is given as FSBUS_BROKER_CREDS or
// broker.creds_file and read at load: missing, unreadable or malformed it is a config error naming
// the setting (exit 78), its content (the user's seed) never printed; with another credential, or
// with a driver other than nats, it is refused as well. (Signing in with it: client/test/nats-creds.)
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { nkeys } from '@nats-io/transport-node';
import { processTempDir } from '@fsbus/testkit';
import { loadConfig } from '../src/config/load-config.js';
import { driverOptions } from '../src/driver-options.js';
import { spawnAgent } from './support/agent-process.js';
import { configRefusal } from './support/config-refusal.js';

const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
// The form is checked at load, not the signature (the server checks that).
const userJwt = `${b64({ typ: 'JWT', alg: 'ed25519-nkey' })}.${b64({ sub: 'U', nats: { type: 'user', version: 2 } })}.sig`;
const creds = `-----BEGIN NATS USER JWT-----\n${userJwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`;
const dir = processTempDir('fsbus-creds-config-');
const good = join(dir.dir, 'user.creds');
writeFileSync(good, creds);
const seedOnly = join(dir.dir, 'seed-only.creds');
writeFileSync(seedOnly, `${seed}\n`);
const badSeed = join(dir.dir, 'bad-seed.creds');
writeFileSync(badSeed, creds.replace(seed, `${seed.slice(0, 10)}${seed[10] === 'A' ? 'B' : 'A'}${seed.slice(11)}`));
const missing = join(dir.dir, 'missing.creds');
test.after(() => dir.remove());

void test('FSBUS_BROKER_CREDS and broker.creds_file reach the NATS driver as auth.credsFile', () => {
  for (const c of [loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_CREDS: good } }), loadConfig({ values: { node_id: 'n1', broker: { creds_file: good } }, env: {} })]) {
    assert.equal(c.broker.creds_file, good);
    assert.deepEqual(driverOptions(c, 'freeswitch', pino({ level: 'silent' })).auth, { credsFile: good });
  }
});

void test('a missing, unreadable or malformed .creds file is refused at load naming the setting, its content never quoted', () => {
  for (const [file, words] of [
    [missing, /cannot read .*missing\.creds \(ENOENT\)/],
    [dir.dir, /cannot read .* \(EISDIR\)/],
    [seedOnly, /seed-only\.creds is not a \.creds file: no "BEGIN NATS USER JWT" and "BEGIN USER NKEY SEED" blocks/],
    [badSeed, /bad-seed\.creds is not a \.creds file: its seed is not an NKey seed \(nkeys: /],
  ] as const) {
    const fromEnv = configRefusal(() => loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_CREDS: file } }));
    assert.equal(fromEnv.field, 'FSBUS_BROKER_CREDS');
    assert.equal(fromEnv.code, 'FSBUS_ERR_AGENT_CONFIG');
    assert.match(fromEnv.message, words);
    assert.ok(!fromEnv.message.includes(seed.slice(2, 20)), 'the seed is a secret');
    assert.equal(configRefusal(() => loadConfig({ values: { node_id: 'n1', broker: { creds_file: file } }, env: {} })).field, 'broker.creds_file');
  }
});

void test('a .creds file with another credential, or with a driver other than nats, is refused', () => {
  for (const [env, words] of [
    [{ FSBUS_BROKER_TOKEN: 't' }, /FSBUS_BROKER_CREDS: cannot be combined with FSBUS_BROKER_TOKEN: a \.creds file is the whole credential/],
    [{ FSBUS_BROKER_NKEY_SEED: seed }, /cannot be combined with FSBUS_BROKER_NKEY_SEED/],
    [{ FSBUS_BROKER_USER: 'u', FSBUS_BROKER_PASSWORD: 'p' }, /cannot be combined with FSBUS_BROKER_PASSWORD, FSBUS_BROKER_USER/],
    [{ FSBUS_DRIVER: 'redis' }, /FSBUS_BROKER_CREDS: is for the nats driver only \(the driver is redis\)/],
    [{ FSBUS_BROKER_URL: 'amqp://127.0.0.1' }, /FSBUS_BROKER_CREDS: is for the nats driver only \(the driver is amqp\)/],
  ] as const) {
    const err = configRefusal(() => loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_CREDS: good, ...env } }));
    assert.match(err.message, words);
    assert.ok(!err.message.includes(seed), 'the seed is a secret');
  }
});

void test('fsbus agent with an unreadable FSBUS_BROKER_CREDS exits 78 before connecting, no unknown-variable warning', async () => {
  const agent = spawnAgent({ FSBUS_BROKER_URL: 'nats://127.0.0.1:1', FSBUS_BROKER_CREDS: missing, FSBUS_METRICS: 'false', FSBUS_NODE_ID: 'bad-creds' });
  const { code } = await agent.exited;
  assert.equal(code, 78, agent.stderr());
  assert.match(agent.stderr(), /^fsbus agent: invalid config: FSBUS_BROKER_CREDS: cannot read .*missing\.creds \(ENOENT\)/);
  assert.doesNotMatch(agent.stderr() + JSON.stringify(agent.logs), /unknown environment variables/);
});
