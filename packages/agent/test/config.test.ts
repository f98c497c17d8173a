import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { AgentErrorCode, ConfigError, loadConfig } from '@fsbus/agent';

function withFiles(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'fsbus-config-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function configError(fn: () => unknown, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.code, AgentErrorCode.CONFIG);
    assert.equal(err.field, field);
    assert.ok(err.message.includes(field));
    return true;
  });
}

void test('defaults', () => {
  const c = loadConfig({ env: { FSBUS_NODE_ID: 'n1' } });
  assert.equal(c.node_id, 'n1');
  assert.equal(c.driver, 'nats');
  assert.equal(c.subject_prefix, 'freeswitch');
  assert.deepEqual(c.broker.urls, ['nats://127.0.0.1:4222']);
  // No URL: the chosen driver's own port (zmq: mod_event_zmq's 5556 for events), not nats's.
  for (const [driver, url] of [['zmq', 'zmq://127.0.0.1:5555'], ['AMQP', 'amqp://127.0.0.1:5672'], ['redis', 'redis://127.0.0.1:6379'], ['mqtt', 'mqtt://127.0.0.1:1883'], ['kafka', 'kafka://127.0.0.1:9092']]) {
    assert.deepEqual(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: driver! } }).broker.urls, [url], driver);
  }
  // No driver: the one the URL names; a URL of another broker than the driver's is refused.
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_URL: 'amqp://rabbit:5672' } }).driver, 'amqp');
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_BROKER_URL: 'rabbit:5672' } }).driver, 'nats');
  configError(() => loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_DRIVER: 'nats', FSBUS_BROKER_URL: 'amqp://rabbit:5672' } }), 'FSBUS_BROKER_URL');
  configError(() => loadConfig({ values: { node_id: 'n1', driver: 'nats', broker: { urls: 'amqp://a:5672,redis://b:6379' } }, env: {} }), 'broker.urls');
  assert.equal(c.esl.port, 8021);
  assert.equal(c.commands.max_payload_bytes, 65536);
  assert.equal(c.commands.max_execute_watches, 10_000);
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_MAX_EXECUTE_WATCHES: '50' } }).commands.max_execute_watches, 50);
  assert.deepEqual(c.events.include, ['ALL']);
  assert.equal(c.events.stream.enabled, false);
  assert.equal(c.secrets.eslPassword, 'ClueCon');
});

void test('YAML and JSON files; env wins over the file', () => {
  withFiles(
    {
      'a.yaml': 'node_id: FS.Node-01\nsubject_prefix: "pbx prod"\nbroker:\n  urls: nats://a:4222, nats://b:4222\nesl:\n  port: 8022\nevents:\n  include: [CHANNEL_CREATE, "CUSTOM::sofia::register"]\n  stream:\n    enabled: true\n',
      'b.json': JSON.stringify({ node_id: 'json-node', commands: { denylist: ['shutdown', 'fsctl'] }, metrics: { port: 0 } }),
    },
    (dir) => {
      const y = loadConfig({ file: join(dir, 'a.yaml'), env: {} });
      assert.equal(y.node_id, 'fs_node-01');
      assert.equal(y.subject_prefix, 'pbx_prod');
      assert.deepEqual(y.broker.urls, ['nats://a:4222', 'nats://b:4222']);
      assert.equal(y.esl.port, 8022);
      assert.deepEqual(y.events.include, ['CHANNEL_CREATE', 'CUSTOM::sofia::register']);
      assert.equal(y.events.stream.enabled, true);

      const e = loadConfig({
        file: join(dir, 'a.yaml'),
        env: { FSBUS_NODE_ID: 'env-node', FSBUS_ESL_PORT: '9000', FSBUS_BROKER_URL: 'nats://c:1,nats://d:2', FSBUS_JETSTREAM: 'false' },
      });
      assert.equal(e.node_id, 'env-node');
      assert.equal(e.esl.port, 9000);
      assert.deepEqual(e.broker.urls, ['nats://c:1', 'nats://d:2']);
      assert.equal(e.events.stream.enabled, false);

      const j = loadConfig({ file: join(dir, 'b.json'), env: {} });
      assert.deepEqual(j.commands.denylist, ['shutdown', 'fsctl']);
      assert.equal(j.metrics.port, 0);
    },
  );
});

void test('MOD_EVENT_AGENT_* names are accepted; FSBUS_* wins over them', () => {
  const c = loadConfig({
    env: { MOD_EVENT_AGENT_URL: 'nats://m:4222', MOD_EVENT_AGENT_NODE_ID: 'legacy', MOD_EVENT_AGENT_API_DENYLIST: 'shutdown, msleep', MOD_EVENT_AGENT_TOKEN: 't0k' },
  });
  assert.deepEqual(c.broker.urls, ['nats://m:4222']);
  assert.equal(c.node_id, 'legacy');
  assert.deepEqual(c.commands.denylist, ['shutdown', 'msleep']);
  assert.equal(c.secrets.brokerToken, 't0k');
  const both = loadConfig({ env: { MOD_EVENT_AGENT_NODE_ID: 'legacy', FSBUS_NODE_ID: 'modern', MOD_EVENT_AGENT_TOKEN: 'a', FSBUS_BROKER_TOKEN: 'b' } });
  assert.equal(both.node_id, 'modern');
  assert.equal(both.secrets.brokerToken, 'b');
});

void test('secrets come from env only; a file carrying one is refused, naming the field', () => {
  configError(() => loadConfig({ values: { esl: { password: 'ClueCon' } }, env: {} }), 'esl.password');
  configError(() => loadConfig({ values: { broker: { token: 'x' } }, env: {} }), 'broker.token');
  configError(() => loadConfig({ values: { token: 'x' }, env: {} }), 'token');
  // A real seed: a malformed one is refused at load (config-nkey-seed.test.ts).
  const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
  const c = loadConfig({ env: { FSBUS_ESL_PASSWORD: 'pw', FSBUS_BROKER_NKEY_SEED: seed, FSBUS_BROKER_PASSWORD: 'bp' } });
  assert.equal(c.secrets.eslPassword, 'pw');
  assert.equal(c.secrets.brokerNkeySeed, seed);
  assert.equal(c.secrets.brokerPassword, 'bp');
});

void test('invalid values stop the agent with the field (or env var) named', () => {
  configError(() => loadConfig({ values: { esl: { port: 70000 } }, env: {} }), 'esl.port');
  configError(() => loadConfig({ env: { FSBUS_ESL_PORT: 'eighty' } }), 'FSBUS_ESL_PORT');
  // An unknown key is named by its full path (config-messages.test.ts: with the closest known key).
  configError(() => loadConfig({ values: { esl: { hots: 'x' } }, env: {} }), 'esl.hots');
  configError(() => loadConfig({ values: { log_level: 'loud' }, env: {} }), 'log_level');
  configError(() => loadConfig({ values: { broker: { urls: [] } }, env: {} }), 'broker.urls');
  configError(() => loadConfig({ values: { commands: { max_in_flight: 0 } }, env: {} }), 'commands.max_in_flight');
  configError(() => loadConfig({ values: { commands: { max_execute_watches: 0 } }, env: {} }), 'commands.max_execute_watches');
  configError(() => loadConfig({ env: { FSBUS_JETSTREAM: 'maybe' } }), 'FSBUS_JETSTREAM');
  configError(() => loadConfig({ values: { events: { stream: { name: 'a.b' } } }, env: {} }), 'events.stream.name');
  withFiles({ 'bad.json': '{"node_id":' }, (dir) => configError(() => loadConfig({ file: join(dir, 'bad.json'), env: {} }), '--config'));
  configError(() => loadConfig({ file: '/nonexistent/fsbus.yaml', env: {} }), '--config');
  // Port 0 is no Event Socket port, whether written or read from a blank env var.
  configError(() => loadConfig({ values: { esl: { port: 0 } }, env: {} }), 'esl.port');
  configError(() => loadConfig({ env: { FSBUS_ESL_PORT: ' ' } }), 'FSBUS_ESL_PORT');
  configError(() => loadConfig({ env: { FSBUS_MAX_IN_FLIGHT: ' ' } }), 'FSBUS_MAX_IN_FLIGHT');
  configError(() => loadConfig({ values: { esl: { max_pending: 0 } }, env: {} }), 'esl.max_pending');
  // A misspelt event name would publish nothing; the list entry is named.
  configError(() => loadConfig({ values: { events: { include: ['CHANNEL_CREAT'] } }, env: {} }), 'events.include.0');
  configError(() => loadConfig({ values: { events: { exclude: ['HEARTBEAT', 'HEARTBEET'] } }, env: {} }), 'events.exclude.1');
  configError(() => loadConfig({ env: { FSBUS_EVENTS_INCLUDE: 'CHANNEL_ANSWER,CUSTOM::' } }), 'FSBUS_EVENTS_INCLUDE');
});

void test('numbers are whole numbers or digit strings: a YAML key left empty, true, [] or 0x1F is refused, not read as 0 or 1', () => {
  withFiles({ 'empty.yaml': 'metrics:\n  port:\n' }, (dir) => configError(() => loadConfig({ file: join(dir, 'empty.yaml'), env: {} }), 'metrics.port'));
  configError(() => loadConfig({ values: { commands: { timeout_ms: true } }, env: {} }), 'commands.timeout_ms');
  configError(() => loadConfig({ values: { broker: { buffer_messages: [] } }, env: {} }), 'broker.buffer_messages');
  configError(() => loadConfig({ values: { esl: { port: [8021] } }, env: {} }), 'esl.port');
  configError(() => loadConfig({ env: { FSBUS_ESL_PORT: '0x1F95' } }), 'FSBUS_ESL_PORT');
  configError(() => loadConfig({ env: { FSBUS_ESL_PORT: '8e3' } }), 'FSBUS_ESL_PORT');
  assert.equal(loadConfig({ env: { FSBUS_ESL_PORT: ' 8022 ' } }).esl.port, 8022);
  assert.equal(loadConfig({ values: { esl: { port: 8023 } }, env: {} }).esl.port, 8023);
});

void test('a timeout past what a timer can wait (2^31 - 1 ms) is refused: it would fire at once', () => {
  configError(() => loadConfig({ values: { shutdown_timeout_ms: 3_000_000_000 }, env: {} }), 'shutdown_timeout_ms');
  configError(() => loadConfig({ values: { esl: { connect_timeout_ms: 2_147_483_648 } }, env: {} }), 'esl.connect_timeout_ms');
  assert.equal(loadConfig({ values: { commands: { drain_timeout_ms: 2_147_483_647 } }, env: {} }).commands.drain_timeout_ms, 2_147_483_647);
});

void test('verb lists take one verb per entry: a space-separated list would deny nothing', () => {
  configError(() => loadConfig({ env: { FSBUS_API_DENYLIST: 'system bg_system fsctl' } }), 'FSBUS_API_DENYLIST');
  configError(() => loadConfig({ values: { commands: { allowlist: ['status', 'bgapi status'] } }, env: {} }), 'commands.allowlist.1');
  assert.deepEqual(loadConfig({ env: { FSBUS_API_DENYLIST: 'system, bg_system,fsctl' } }).commands.denylist, ['system', 'bg_system', 'fsctl']);
});

void test('node_id is at most 128 characters (a longer one makes subjects the broker cuts the connection over)', () => {
  configError(() => loadConfig({ env: { FSBUS_NODE_ID: 'n'.repeat(129) } }), 'FSBUS_NODE_ID');
  assert.equal(loadConfig({ env: { FSBUS_NODE_ID: 'N'.repeat(128) } }).node_id, 'n'.repeat(128));
});

void test('event lists take FreeSWITCH names (any case), ALL, CUSTOM and CUSTOM::<subclass>', () => {
  const c = loadConfig({ values: { events: { include: ['channel_answer', 'ALL', 'CUSTOM', 'CUSTOM::sofia::register', 'custom::conference::maintenance'], exclude: ['HEARTBEAT', 'API'] } }, env: {} });
  assert.deepEqual(c.events.include, ['channel_answer', 'ALL', 'CUSTOM', 'CUSTOM::sofia::register', 'custom::conference::maintenance']);
  assert.equal(loadConfig({ env: { FSBUS_EVENTS_INCLUDE: 'CHANNEL_CREATE, CHANNEL_HANGUP_COMPLETE' } }).events.include.length, 2);
  assert.equal(loadConfig({ values: { esl: { port: 1 } }, env: {} }).esl.port, 1);
  assert.equal(loadConfig({ env: {} }).esl.max_pending, 10_000);
  assert.equal(loadConfig({ env: {} }).esl.turn_batch, 16);
  assert.equal(loadConfig({ env: { FSBUS_ESL_TURN_BATCH: '1' } }).esl.turn_batch, 1);
  configError(() => loadConfig({ env: { FSBUS_ESL_TURN_BATCH: '0' } }), 'FSBUS_ESL_TURN_BATCH');
  assert.equal(loadConfig({ env: {} }).esl.liveness_ms, 60_000);
  assert.equal(loadConfig({ env: { FSBUS_ESL_LIVENESS_MS: '0' } }).esl.liveness_ms, 0);
  configError(() => loadConfig({ env: { FSBUS_ESL_LIVENESS_MS: '-5' } }), 'FSBUS_ESL_LIVENESS_MS');
});

void test('a subject_prefix with an empty token (fs., .fs, a..b) or over 64 chars fails at start, naming the field', () => {
  for (const prefix of ['fs.', '.fs', 'a..b', '.']) {
    configError(() => loadConfig({ values: { node_id: 'n1', subject_prefix: prefix }, env: {} }), 'subject_prefix');
    configError(() => loadConfig({ env: { FSBUS_NODE_ID: 'n1', FSBUS_SUBJECT_PREFIX: prefix } }), 'FSBUS_SUBJECT_PREFIX');
  }
  assert.equal(loadConfig({ values: { node_id: 'n1', subject_prefix: 'pbx.eu1' }, env: {} }).subject_prefix, 'pbx.eu1');
  // Longer than 64: refused, not cut (cut to 64 this one ended on a dot: lanes `aaa….` + `.api`).
  configError(() => loadConfig({ values: { node_id: 'n1', subject_prefix: `${'a'.repeat(63)}.eu1` }, env: {} }), 'subject_prefix');
  assert.equal(loadConfig({ values: { node_id: 'n1', subject_prefix: 'a'.repeat(64) }, env: {} }).subject_prefix, 'a'.repeat(64));
});

void test('credentials inside a broker URL of the file are refused (secrets come from the environment); from the env they are fine', () => {
  for (const urls of ['nats://user:secret@127.0.0.1:4222', ['nats://a:4222', 'amqp://guest:guest@b:5672'], 'nats://a:4222, nats://s3cr3t-token@b:4222']) {
    configError(() => loadConfig({ values: { node_id: 'n1', broker: { urls } }, env: {} }), 'broker.urls');
  }
  assert.deepEqual(loadConfig({ values: { node_id: 'n1', broker: { urls: 'nats://a:4222/path@x' } }, env: {} }).broker.urls, ['nats://a:4222/path@x']);
  assert.deepEqual(loadConfig({ values: { node_id: 'n1' }, env: { FSBUS_BROKER_URL: 'nats://u:p@a:4222' } }).broker.urls, ['nats://u:p@a:4222']);
  // Refused for another reason, an env URL is named without its credentials.
  for (const env of [{ FSBUS_DRIVER: 'nats', FSBUS_BROKER_URL: 'amqp://alice:S3CRETPW@rabbit:5672' }, { FSBUS_BROKER_URL: 'nats://tok3nS3CRET@n1:4222,https://bob:PW2@n2:4222' }]) {
    assert.throws(() => loadConfig({ env }), (err: unknown) => {
      assert.ok(err instanceof ConfigError && err.field === 'FSBUS_BROKER_URL', String(err));
      assert.doesNotMatch(err.message, /S3CRET|PW2/);
      assert.match(err.message, /\*\*\*@/);
      return true;
    });
  }
});

void test('a config file not named .yaml/.yml is read as JSON, and its error says so', () => {
  withFiles({ 'agent.conf': 'node_id: a\n' }, (dir) => {
    assert.throws(
      () => loadConfig({ file: join(dir, 'agent.conf'), env: {} }),
      (err: unknown) => err instanceof ConfigError && /agent\.conf is not valid JSON \(read as JSON: only \.yaml and \.yml files are read as YAML\)/.test(err.message),
    );
  });
});
