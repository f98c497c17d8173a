// A malformed NKey seed (the user's public key `U…` pasted for the seed `SU…`, a checksum off by
// one character) failed only at connect (`nkeys: invalid seed`, exit 1), which a service manager
// restarts forever: it is a config error at load (exit 78) naming the variable, the seed unprinted.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { nkeys } from '@nats-io/transport-node';
import { loadConfig } from '../src/config/load-config.js';
import { spawnAgent } from './support/agent-process.js';
import { configRefusal } from './support/config-refusal.js';

const user = nkeys.createUser();
const seed = new TextDecoder().decode(user.getSeed());
const publicKey = user.getPublicKey();
// One character off: the checksum no longer matches.
const typo = `${seed.slice(0, 10)}${seed[10] === 'A' ? 'B' : 'A'}${seed.slice(11)}`;

void test('a malformed NKey seed is refused at load, naming the variable it came from, never quoting it', () => {
  for (const [name, value] of [
    ['FSBUS_BROKER_NKEY_SEED', publicKey],
    ['FSBUS_BROKER_NKEY_SEED', typo],
    ['MOD_EVENT_AGENT_NKEY_SEED', typo],
  ] as const) {
    const err = configRefusal(() => loadConfig({ env: { FSBUS_NODE_ID: 'n1', [name]: value } }));
    assert.equal(err.field, name, err.message);
    assert.equal(err.code, 'FSBUS_ERR_AGENT_CONFIG');
    assert.match(err.message, new RegExp(`^invalid config: ${name}: is not an NKey seed \\(nkeys: [^)]+\\): a user's seed is 58 characters starting with SU`));
    assert.ok(!err.message.includes(value), 'the seed is a secret: never printed');
  }
});

void test('a valid NKey seed is accepted; another driver does not read it', () => {
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_NKEY_SEED: seed } }).secrets.brokerNkeySeed, seed);
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_NKEY_SEED: ` ${seed}\n` } }).secrets.brokerNkeySeed, ` ${seed}\n`);
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: 'redis', FSBUS_BROKER_NKEY_SEED: typo } }).driver, 'redis');
});

void test('fsbus agent with a malformed NKey seed exits 78 before connecting, the seed unprinted', async () => {
  const agent = spawnAgent({ FSBUS_BROKER_URL: 'tls://127.0.0.1:1', FSBUS_BROKER_NKEY_SEED: publicKey, FSBUS_METRICS: 'false', FSBUS_NODE_ID: 'bad-seed' });
  const { code } = await agent.exited;
  assert.equal(code, 78, agent.stderr());
  assert.match(agent.stderr(), /^fsbus agent: invalid config: FSBUS_BROKER_NKEY_SEED: is not an NKey seed/);
  assert.ok(!agent.stderr().includes(publicKey), agent.stderr());
});
