// An operator's denylist naming built-in commands (`hangup`, `originate`, `agent.cordon`…) was
// silently ignored for them: `{"command":"originate"}` ran while `ORIGINATE` was denied. Now a
// listed built-in is refused like a FreeSWITCH verb (same code and message, counted, audited), the
// audit line of a denial names the verb refused (a wrapped one too), and agent.status shows the lists.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BusErrorCode, BusMessage, type ReplyEnvelope } from '@fsbus/contract';
import { logLine, startCluster, type Cluster } from './support/cluster.js';

const SUBJECT = 'freeswitch.node.node-1';
const DENYLIST = 'uuid_kill,Hangup,originate,execute_app,agent.cordon,dialplan.enable,hupall';

function assertDenied(r: ReplyEnvelope, what: string): void {
  assert.equal(r.success, false, `${what} ran: ${JSON.stringify(r)}`);
  assert.equal(r.code, BusErrorCode.COMMAND_DENIED, `${what}: ${JSON.stringify(r)}`);
  assert.equal(r.message, BusMessage.COMMAND_DENIED);
}

void describe('a denylist naming built-in commands', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ env: { FSBUS_API_DENYLIST: DENYLIST } });
  });
  after(() => cluster.stop());

  void test('denies each listed built-in, and the FreeSWITCH verbs of the same names, in any case', async () => {
    const bodies: Array<Record<string, unknown>> = [
      { command: 'hangup', uuid: 'a1b2c3' },
      { command: 'originate', endpoint: 'user/1000', extension: '1000' },
      { command: 'ORIGINATE', args: 'user/1000 &park()' },
      { command: 'execute_app', uuid: 'a1b2c3', app: 'park' },
      { command: 'agent.cordon', node_id: 'node-1' },
      { command: 'dialplan.enable' },
      { command: 'uuid_kill', args: 'a1b2c3' },
    ];
    for (const body of bodies) assertDenied(await cluster.request(SUBJECT, JSON.stringify(body)), JSON.stringify(body));
    // Still cordon-free: the denied cordon did not run.
    const status = await cluster.request(SUBJECT, '{"command":"agent.status"}');
    assert.equal(status.success, true);
    assert.equal((status.data as { shared_lanes: { cordoned: boolean } }).shared_lanes.cordoned, false);
  });

  void test('built-ins not listed still run', async () => {
    assert.equal((await cluster.request(SUBJECT, '{"command":"agent.uncordon","node_id":"node-1"}')).success, true);
    const park = await cluster.request(SUBJECT, '{"command":"dialplan.status"}');
    assert.notEqual(park.code, BusErrorCode.COMMAND_DENIED, JSON.stringify(park));
  });

  void test('a built-in denial is counted and audited like any other, naming the denied verb', async () => {
    const { agent, logs } = cluster.nodes[0]!;
    const failedBefore = (agent.status()['counters'] as { requests_failed: number }).requests_failed;
    assertDenied(await cluster.request(SUBJECT, '{"command":"hangup","uuid":"d4e5f6"}'), 'hangup');
    assert.equal((agent.status()['counters'] as { requests_failed: number }).requests_failed, failedBefore + 1);
    const metrics = await agent.metrics.registry.metrics();
    assert.match(metrics, /fsbus_request_errors_total\{[^}]*code="FSBUS_ERR_BUS_COMMAND_DENIED"[^}]*\} [1-9]/);
    const audit = logs.find((l) => l['audit'] === 'command' && l['cmd'] === 'hangup');
    assert.ok(audit !== undefined, 'audit line for the denied hangup');
    assert.equal(audit['code'], BusErrorCode.COMMAND_DENIED);
    assert.equal(audit['denied_verb'], 'hangup');
    assert.match(String(audit['msg']), /^audit=command cmd=hangup subject=freeswitch\.node\.node-1 result=err async=no payload_bytes=\d+ denied_verb=hangup$/);
  });

  void test('a wrapped verb denied: the audit line says which (cmd=bgapi denied_verb=hupall)', async () => {
    const { logs } = cluster.nodes[0]!;
    assertDenied(await cluster.request(SUBJECT, '{"command":"bgapi","args":"hupall NORMAL_CLEARING"}'), 'bgapi hupall');
    assertDenied(await cluster.request(SUBJECT, '{"command":"expand","args":"uuid:x uuid_kill a1b2c3"}'), 'expand uuid_kill');
    const bgapi = logs.find((l) => l['audit'] === 'command' && l['cmd'] === 'bgapi');
    assert.equal(bgapi?.['denied_verb'], 'hupall');
    assert.match(String(bgapi?.['msg']), /^audit=command cmd=bgapi subject=freeswitch\.node\.node-1 result=err async=no payload_bytes=\d+ denied_verb=hupall$/);
    assert.equal(logs.find((l) => l['audit'] === 'command' && l['cmd'] === 'expand')?.['denied_verb'], 'uuid_kill');
    // A command that ran has no denied_verb.
    assert.equal((await cluster.request(SUBJECT, '{"command":"status"}')).success, true);
    const ran = logs.filter((l) => l['audit'] === 'command' && l['cmd'] === 'status');
    assert.ok(ran.length > 0 && ran.every((l) => !('denied_verb' in l) && !String(l['msg']).includes('denied_verb')));
  });

  void test('a denial nobody can be told of (the async lane) leaves its reason on the audit line', async () => {
    const node = cluster.nodes[0]!;
    const body = '{"command":"hangup","uuid":"f7e8d9"}';
    cluster.client.publish('freeswitch.cmd.async.hangup', new TextEncoder().encode(body));
    const audit = await logLine(node, `audit=command cmd=hangup subject=freeswitch.cmd.async.hangup result=err async=yes payload_bytes=${body.length} denied_verb=hangup`);
    assert.equal(audit['code'], BusErrorCode.COMMAND_DENIED);
    assert.equal(audit['reason'], BusMessage.COMMAND_DENIED, JSON.stringify(audit));
    // Answered: the requester has the reason, the line need not carry it.
    assertDenied(await cluster.request(SUBJECT, '{"command":"hangup","uuid":"d4e5f7"}'), 'hangup');
    const answered = node.logs.filter((l) => l['audit'] === 'command' && l['subject'] === SUBJECT && l['code'] === BusErrorCode.COMMAND_DENIED);
    assert.ok(answered.length > 0 && answered.every((l) => !('reason' in l)), JSON.stringify(answered));
  });

  void test('agent.status reports the policy in force, lower-cased', async () => {
    const r = await cluster.request(SUBJECT, '{"command":"agent.status"}');
    assert.deepEqual((r.data as Record<string, unknown>)['command_policy'], {
      denylist: ['uuid_kill', 'hangup', 'originate', 'execute_app', 'agent.cordon', 'dialplan.enable', 'hupall'],
      allowlist: [],
    });
  });
});

void describe("the deploy example's denylist and what a built-in runs", () => {
  const example = readFileSync(fileURLToPath(new URL('../../../examples/deploy/agent.yaml', import.meta.url)), 'utf8');
  const denylist = /^\s*denylist: \[([^\]]*)\]\s*$/m.exec(example)![1]!.split(',').map((v) => v.trim());
  let cluster: Cluster;
  /** An answered channel parked on the simulator. */
  const uuid = randomUUID();
  const getvar = async (name: string) => (await cluster.request(SUBJECT, JSON.stringify({ command: 'uuid_getvar', args: `${uuid} ${name}` }))).data;
  before(async () => {
    cluster = await startCluster({ config: { commands: { denylist } } });
    cluster.nodes[0]!.sim.core.control.setEndpointBehavior('user/2000', { answer: 'answer' });
    const r = await cluster.request(SUBJECT, JSON.stringify({ command: 'originate', endpoint: 'user/2000', extension: '&park()', uuid }));
    assert.equal(r.success, true, JSON.stringify(r));
  });
  after(() => cluster.stop());

  void test('execute_app of a denied application is refused, counted and audited, and nothing reaches FreeSWITCH', async () => {
    const { agent, logs } = cluster.nodes[0]!;
    const failedBefore = (agent.status()['counters'] as { requests_failed: number }).requests_failed;
    // Its vars would be set first (uuid_setvar): the probe shows whether anything ran.
    for (const app of ['bgsystem', 'system']) {
      assertDenied(await cluster.request(SUBJECT, JSON.stringify({ command: 'execute_app', uuid, app, args: 'id', vars: { fsbus_probe: app } })), app);
    }
    assertDenied(await cluster.request(SUBJECT, JSON.stringify({ command: 'execute_app', uuid, app: 'set', args: 'api_on_answer=system id', vars: { fsbus_probe: 'set' } })), 'set api_on_answer');
    assert.equal(await getvar('fsbus_probe'), '_undef_');
    assert.equal(await getvar('api_on_answer'), '_undef_');
    assert.equal((agent.status()['counters'] as { requests_failed: number }).requests_failed, failedBefore + 3);
    const audit = logs.find((l) => l['audit'] === 'command' && l['cmd'] === 'execute_app' && l['code'] === BusErrorCode.COMMAND_DENIED);
    assert.equal(audit?.['denied_verb'], 'bgsystem');
    // The probe works: an application not denied runs, its vars set.
    const ran = await cluster.request(SUBJECT, JSON.stringify({ command: 'execute_app', uuid, app: 'park', vars: { fsbus_probe: 'park' } }));
    assert.equal(ran.success, true, JSON.stringify(ran));
    assert.equal(await getvar('fsbus_probe'), 'park');
  });

  void test('originate with a denied &app(args) extension or hook variable places no call', async () => {
    const other = randomUUID();
    assertDenied(await cluster.request(SUBJECT, JSON.stringify({ command: 'originate', endpoint: 'user/2000', extension: '&system(id)', uuid: other })), '&system(id)');
    const hooked = { command: 'originate', endpoint: 'user/2000', extension: '&park()', uuid: other, variables: { api_on_answer: 'system id' } };
    assertDenied(await cluster.request(SUBJECT, JSON.stringify(hooked)), 'api_on_answer=system id');
    assert.equal((await cluster.request(SUBJECT, JSON.stringify({ command: 'uuid_exists', args: other }))).data, 'false');
  });
});

void describe('agent.status in the denylist, with an allowlist', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster({ env: { FSBUS_API_DENYLIST: 'agent.status', FSBUS_API_ALLOWLIST: 'Status,VERSION,bgapi' } });
  });
  after(() => cluster.stop());

  void test('agent.status is denied when listed', async () => {
    assertDenied(await cluster.request(SUBJECT, '{"command":"agent.status"}'), 'agent.status');
  });

  void test('the allowlist governs FreeSWITCH verbs only; built-ins not denylisted still run', async () => {
    assert.equal((await cluster.request(SUBJECT, '{"command":"version"}')).success, true);
    assertDenied(await cluster.request(SUBJECT, '{"command":"uptime"}'), 'uptime');
    assertDenied(await cluster.request(SUBJECT, '{"command":"bgapi","args":"uptime"}'), 'bgapi uptime');
    const { logs } = cluster.nodes[0]!;
    assert.equal(logs.find((l) => l['audit'] === 'command' && l['cmd'] === 'bgapi')?.['denied_verb'], 'uptime');
    assert.equal((await cluster.request(SUBJECT, '{"command":"agent.cordon","node_id":"node-1"}')).success, true);
    assert.equal((await cluster.request(SUBJECT, '{"command":"agent.uncordon","node_id":"node-1"}')).success, true);
  });
});

void describe('no lists (the default)', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(() => cluster.stop());

  void test('agent.status says both lists are empty', async () => {
    const r = await cluster.request(SUBJECT, '{"command":"agent.status"}');
    assert.deepEqual((r.data as Record<string, unknown>)['command_policy'], { denylist: [], allowlist: [] });
  });
});
