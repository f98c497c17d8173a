// What a mod_event_agent deployment brings to `fsbus agent`: `driver: rabbitmq` (its name for
// AMQP), its XML config file given to --config, and `token: ""` (its reference config keeps an
// empty token param). And a node_id that is not its own slug is remembered, for the start warning.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { AgentErrorCode, ConfigError, loadConfig, runAgent } from '@fsbus/agent';
import { loadDriver } from '@fsbus/transport';
import { processTempDir } from '@fsbus/testkit';

void test('driver rabbitmq is an alias of amqp (file, env, any case), with amqp URLs and amqp default URL', async () => {
  assert.equal(loadConfig({ values: { node_id: 'n1', driver: 'rabbitmq' }, env: {} }).driver, 'amqp');
  const fromEnv = loadConfig({ env: { MOD_EVENT_AGENT_NODE_ID: 'n1', MOD_EVENT_AGENT_DRIVER: 'RabbitMQ' } });
  assert.equal(fromEnv.driver, 'amqp');
  assert.deepEqual(fromEnv.broker.urls, ['amqp://127.0.0.1:5672']);
  assert.equal(loadConfig({ values: { node_id: 'n1', driver: 'rabbitmq', broker: { urls: 'amqp://10.0.0.1:5672' } }, env: {} }).driver, 'amqp');
  assert.equal(await loadDriver('rabbitmq'), await loadDriver('amqp'));
  assert.throws(
    () => loadConfig({ values: { node_id: 'n1', driver: 'carrier-pigeon' }, env: {} }),
    (err: unknown) => err instanceof ConfigError && /unknown driver \(known: nats, amqp, rabbitmq, redis, /.test(err.message),
  );
});

const XML = `<configuration name="mod_event_agent.conf" description="Event Agent">
  <settings>
    <param name="driver" value="nats"/>
    <param name="token" value=""/>
  </settings>
</configuration>
`;

void test("mod_event_agent's XML config given to --config is named as such, pointing to the conversion step", () => {
  const tmp = processTempDir('fsbus-xml-config-');
  try {
    const isXmlError = (err: unknown) =>
      err instanceof ConfigError && err.code === AgentErrorCode.CONFIG && err.field === '--config' &&
      /is mod_event_agent's XML configuration/.test(err.message) && /docs\/migrating-from-mod_event_agent\.md/.test(err.message) && !/Unexpected token/.test(err.message);
    for (const [name, text] of [
      ['mod_event_agent.conf.xml', XML],
      ['with-bom.json', `\uFEFF\n  <?xml version="1.0"?>\n${XML}`],
      ['agent.yaml', `settings: [\n${XML}`],
    ] as const) {
      const file = join(tmp.dir, name);
      writeFileSync(file, text);
      assert.throws(() => loadConfig({ file, env: {} }), isXmlError, name);
    }
  } finally {
    tmp.remove();
  }
});

void test('fsbus agent --config <the XML> exits 78 with that message', async () => {
  const tmp = processTempDir('fsbus-xml-config-');
  try {
    const file = join(tmp.dir, 'mod_event_agent.conf.xml');
    writeFileSync(file, XML);
    const err: string[] = [];
    const code = await runAgent(['--config', file], {}, { out: () => {}, err: (l) => err.push(l) });
    assert.equal(code, 78);
    assert.match(err.join('\n'), /^fsbus agent: invalid config: --config: .*mod_event_agent\.conf\.xml is mod_event_agent's XML configuration/);
  } finally {
    tmp.remove();
  }
});

// Named by its words, not its number: step 3 became the metrics port and the message still said 3.
void test("the XML message names the guide's step that holds the param table; agent.md names the same", () => {
  const guide = readFileSync(fileURLToPath(new URL('../../../docs/migrating-from-mod_event_agent.md', import.meta.url)), 'utf8');
  const agentDoc = readFileSync(fileURLToPath(new URL('../../../docs/agent.md', import.meta.url)), 'utf8');
  let message = '';
  const tmp = processTempDir('fsbus-xml-step-');
  try {
    const file = join(tmp.dir, 'mod_event_agent.conf.xml');
    writeFileSync(file, XML);
    loadConfig({ file, env: {} });
  } catch (err) {
    message = (err as Error).message;
  } finally {
    tmp.remove();
  }
  const step = /docs\/migrating-from-mod_event_agent\.md, "Moving over", the step "([^"]+)"/.exec(message)?.[1];
  assert.ok(step !== undefined, `no step named by its words: ${message}`);
  const movingOver = guide.split(/^## Moving over$/m)[1]?.split(/^## /m)[0] ?? '';
  const steps = movingOver.split(/^(?=\d+\. )/m).filter((s) => /^\d+\. /.test(s));
  const named = steps.find((s) => s.replace(/^\d+\. /, '').startsWith(step));
  assert.ok(named !== undefined, `no step of "Moving over" starts with "${step}"`);
  assert.match(named, /^ *\| XML param \| fsbus \|$/m, 'the step named holds the param table');
  assert.ok(agentDoc.includes(`the step "${step}"`), 'agent.md names the same step');
  assert.doesNotMatch(agentDoc, /mod_event_agent\.md#moving-over\)\s+step \d/, 'agent.md names the step, not its number');
});

void test('an empty secret in the file counts as absent; a non-empty one is still refused', () => {
  const loaded = loadConfig({ values: { node_id: 'n1', token: '', nkey_seed: '', broker: { password: '' }, esl: { password: null } }, env: { MOD_EVENT_AGENT_TOKEN: 's3cret' } });
  assert.equal(loaded.secrets.brokerToken, 's3cret', 'the env still gives it');
  assert.equal(loaded.secrets.brokerNkeySeed, undefined);
  assert.equal(loaded.secrets.eslPassword, 'ClueCon');
  const tmp = processTempDir('fsbus-empty-secret-');
  try {
    const file = join(tmp.dir, 'agent.yaml');
    writeFileSync(file, 'node_id: n1\ntoken: ""\n');
    assert.equal(loadConfig({ file, env: {} }).secrets.brokerToken, undefined);
  } finally {
    tmp.remove();
  }
  for (const values of [{ token: 'x' }, { broker: { password: ' ' } }, { esl: { password: 'ClueCon' } }]) {
    assert.throws(() => loadConfig({ values: { node_id: 'n1', ...values }, env: {} }), (err: unknown) => err instanceof ConfigError && /secrets are read from the environment only/.test(err.message), JSON.stringify(values));
  }
});

void test('a node_id that is not its own slug is kept as node_id_configured; the slug is the node_id', () => {
  const c = loadConfig({ env: { MOD_EVENT_AGENT_NODE_ID: 'FS-Node.03' } });
  assert.equal(c.node_id, 'fs-node_03');
  assert.equal(c.node_id_configured, 'FS-Node.03');
  assert.equal(loadConfig({ env: { MOD_EVENT_AGENT_NODE_ID: 'fs-node-01' } }).node_id_configured, undefined);
});

void test('a configured node_id whose slug passes 128 characters is refused naming node_id and the limit, not the host name', () => {
  // 'İ' lowercases to two units (i + U+0307): 128 of them slug to 256 characters.
  assert.throws(() => loadConfig({ values: { node_id: '\u0130'.repeat(128) }, env: {} }), {
    message: 'invalid config: node_id: must be at most 128 characters once slugified (lowercased: its slug has 256)',
  });
  assert.equal(loadConfig({ values: { node_id: '\u0130'.repeat(64) }, env: {} }).node_id, 'i_'.repeat(64));
});
