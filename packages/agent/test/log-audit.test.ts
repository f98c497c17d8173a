// `log_level: warn`, docs/deploy.md's answer to journald's rate limit, dropped the per-command
// audit lines and also `agent started` and every recovery line (outages logged at warn that never
// ended). `log_audit: false` (FSBUS_LOG_AUDIT=false) drops the audit lines alone.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { loadConfig } from '../src/config/load-config.js';
import { unknownEnv } from '../src/config/unknown-env.js';
import { configRefusal } from './support/config-refusal.js';
import { startCluster, type Cluster } from './support/cluster.js';

const SUBJECT = 'freeswitch.node.node-1';

void test('log_audit: true by default, from the file or FSBUS_LOG_AUDIT, misspelt names named', () => {
  assert.equal(loadConfig({ values: { node_id: 'n1' }, env: {} }).log_audit, true);
  assert.equal(loadConfig({ values: { node_id: 'n1', log_audit: false }, env: {} }).log_audit, false);
  assert.equal(loadConfig({ values: { node_id: 'n1', log_audit: true }, env: { FSBUS_LOG_AUDIT: 'off' } }).log_audit, false);
  assert.match(configRefusal(() => loadConfig({ values: { node_id: 'n1' }, env: { FSBUS_LOG_AUDIT: 'maybe' } })).message, /FSBUS_LOG_AUDIT: expected true or false/);
  assert.deepEqual(unknownEnv({ FSBUS_LOG_AUDITS: 'false' }), [{ name: 'FSBUS_LOG_AUDITS', didYouMean: 'FSBUS_LOG_AUDIT' }]);
});

void describe('an agent with log_audit false', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ env: { FSBUS_LOG_AUDIT: 'false' } });
  });
  after(() => cluster.stop());

  void test('writes no audit line for a command, and still its info lines (agent started)', async () => {
    const { logs } = cluster.nodes[0]!;
    const ok = await cluster.request(SUBJECT, '{"command":"status"}');
    assert.equal(ok.success, true, JSON.stringify(ok));
    const refused = await cluster.request(SUBJECT, '{"command":"no_such_command_here"}');
    assert.equal(refused.success, false);
    // The audit line is written before the reply is sent: none by now is none at all.
    assert.deepEqual(logs.filter((l) => 'audit' in l || String(l['msg']).startsWith('audit=')), []);
    assert.ok(logs.some((l) => l['msg'] === 'agent started' && l['level'] === 30), `no 'agent started' at info: ${JSON.stringify(logs.map((l) => l['msg']))}`);
  });
});

void describe('an agent with log_audit left at its default', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(() => cluster.stop());

  void test('writes the audit line of each command', async () => {
    assert.equal((await cluster.request(SUBJECT, '{"command":"status"}')).success, true);
    const audit = cluster.nodes[0]!.logs.filter((l) => l['audit'] === 'command' && l['cmd'] === 'status');
    assert.equal(audit.length, 1);
  });
});
