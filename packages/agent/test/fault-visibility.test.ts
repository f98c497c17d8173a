// Faults the agent must not hide: each one gets a counter (agent.status and /metrics) and a log
// line, rate-limited when it can repeat per message; none makes the agent claim what is not so.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExecuteCompletions } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { processTempDir, spawnUntil, stopChild } from '@fsbus/testkit';
import { FakeFreeSwitch, type FakeConnection } from './support/fake-freeswitch.js';
import { dec, emitCustom, eslTo, until } from './support/cluster.js';
import { linesOf, listening, nextMessage, occurrences, startAgent, withAgent, type Rig } from './support/fault-rig.js';
import { httpGet } from './support/http-get.js';

/** Not the agent's own lifecycle events (agent_start, events_resumed after a reconnect): FreeSWITCH's. */
const fromFreeSwitch = (m: { subject: string }): boolean => !m.subject.startsWith('freeswitch.events.custom.fsbus.');

void test('publishes the broker refuses (NATS permissions) are counted and logged once per burst, not hidden', async () => {
  // The agent's user may publish anything but events and the audit subjects.
  const dir = processTempDir('fsbus-perm-');
  const conf = join(dir.dir, 'nats.conf');
  writeFileSync(
    conf,
    'authorization { users = [\n' +
      '  { user: agent, password: apw, permissions: { publish: { deny: ["freeswitch.events.>", "audit.>"] } } },\n' +
      '  { user: client, password: cpw }\n] }\n',
  );
  const nats = await spawnUntil('nats-server', ['-a', '127.0.0.1', '-p', '-1', '-c', conf], /Listening for client connections on [^\s]*:(\d+)[\s\S]*Server is ready/, 20_000);
  nats.child.stdout?.resume();
  nats.child.stderr?.resume();
  const url = `nats://127.0.0.1:${nats.match[1]}`;
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  let rig: Rig | undefined;
  try {
    rig = await startAgent({
      eslPort: port,
      brokerUrl: url,
      config: { broker: { user: 'agent' }, events: { include: ['CUSTOM::fsbus::denied'] } },
      env: { FSBUS_BROKER_PASSWORD: 'apw' },
      clientAuth: { user: 'client', password: 'cpw' },
    });
    const { agent, logs } = rig;
    const esl = await eslTo(sim);
    await emitCustom(esl, 'fsbus::denied', 20);
    await esl.close();
    // A forward_to copy to a subject the agent may not publish to: the reply itself goes through.
    const reply = await rig.request('{"command":"status","forward_to":"audit.copy"}');
    assert.equal(reply.success, true, JSON.stringify(reply));
    // The agent's agent_start is refused too: it passes any include list.
    await until(agent, () => rig!.counters()['broker_errors'] === 22, '22 broker errors (20 events + agent_start + 1 forward_to)');
    assert.equal(await rig.metric('fsbus_broker_errors_total'), 22);
    const lines = linesOf(rig.logs, 'broker reported an error');
    assert.ok(lines.length >= 1 && lines.length < 22, `${lines.length} log lines for 22 errors`);
    assert.match(String((lines[0]!['err'] as { message?: string }).message), /Permissions Violation for Publish/);
    assert.equal(lines[0]!['level'], 50);
    await rig.stop();
    rig = undefined;
    // At the stop the suppressed ones are written too: the lines account for every error.
    const errors = (agent.status()['counters'] as Record<string, number>)['broker_errors'];
    assert.equal(occurrences(linesOf(logs, 'broker reported an error')), errors);
  } finally {
    await rig?.stop();
    await sim.stop();
    await stopChild(nats.child);
    dir.remove();
  }
});

void test('undecodable events from FreeSWITCH are counted in agent.status and /metrics, logged once per burst', async () => {
  const fs = new FakeFreeSwitch();
  await withAgent(await listening(fs), {}, async (rig) => {
    const good = nextMessage(rig.client, 'freeswitch.events.>', fromFreeSwitch);
    await rig.client.flush();
    fs.sendJsonEvent('{"Event-Name":"CHANNEL_CREATE", broken');
    fs.sendJsonEvent('[1,2,3]');
    fs.sendJsonEvent('"just a string"');
    fs.eventsFrame('text/event-plain', 'Event-Name: CHANNEL_ANSWER\nthis line has no colon\n\n');
    fs.eventsFrame('text/event-xml', '<event><headers><Event-Name>CHANNEL_ANSWER</Event-Name');
    // The connection survives them: the good event after them is published.
    fs.sendJsonEvent(JSON.stringify({ 'Event-Name': 'CHANNEL_CREATE', 'Event-Date-Timestamp': String(Date.now() * 1000), 'Unique-ID': 'abc' }));
    const m = await good;
    assert.equal((JSON.parse(dec(m.data)) as { event_name: string }).event_name, 'CHANNEL_CREATE');
    assert.equal(rig.counters()['esl_protocol_errors'], 5);
    assert.equal(await rig.metric('fsbus_esl_protocol_errors_total'), 5);
    const lines = linesOf(rig.logs, 'protocol error');
    assert.ok(lines.length >= 1 && lines.length < 5, `${lines.length} log lines for 5 bad events`);
    assert.equal(linesOf(rig.logs, 'esl error').length, 0, 'each one logged a second time');
  });
});

void test('an execute_app completion watch dropped from the full table is counted and logged', async () => {
  const fs = new FakeFreeSwitch();
  await withAgent(await listening(fs), {}, async (rig) => {
    const apps: string[] = [];
    const total = 10_001; // DEFAULT_MAX_WATCHES + 1
    for (let i = 0; i < total; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, total - i) }, (_, j) =>
          rig.request(JSON.stringify({ command: 'execute_app', uuid: `chan-${i + j}`, app: 'playback', args: 'long.wav', forward_to: `done.${i + j}` })),
        ),
      );
      for (const r of batch) {
        assert.equal(r.success, true, JSON.stringify(r));
        apps.push((r.data as { application_uuid: string }).application_uuid);
      }
    }
    const c = rig.counters();
    assert.equal(c['execute_watches_evicted'], 1);
    assert.equal(c['execute_watches_pending'], 10_000);
    assert.equal(await rig.metric('fsbus_execute_watches_evicted_total'), 1);
    assert.equal(await rig.metric('fsbus_execute_watches_pending'), 10_000);
    const [line, ...more] = linesOf(rig.logs, 'execute_app completion watches full: the oldest was dropped, its completion will not be forwarded');
    assert.equal(more.length, 0);
    assert.equal(line?.['level'], 40);
    assert.equal(line['application_uuid'], apps[0], 'the line names the dropped watch');
    assert.equal(line['channel'], 'chan-0');
  });
});

void test('ExecuteCompletions reports each watch it drops', () => {
  const dropped: string[] = [];
  const table = new ExecuteCompletions(2, (w) => dropped.push(`${w.applicationUuid}@${w.channel}`));
  table.watch('a1', 'c1', () => undefined);
  table.watch('a2', 'c2', () => undefined);
  table.watch('a3', 'c3', () => undefined);
  assert.deepEqual(dropped, ['a1@c1']);
  assert.equal(table.dropped, 1);
  assert.equal(table.pending, 2);
});

void test('a refused event subscription is retried; /readyz stays 503 with the reason until FreeSWITCH accepts it', async () => {
  const fs = new FakeFreeSwitch();
  let held: FakeConnection | undefined;
  // First ask refused, the second held until the test has looked at /readyz.
  fs.onEventCommand = (conn, _line, i) => {
    if (i === 0) return '-ERR temporarily refused';
    if (i === 1) {
      held = conn;
      return undefined;
    }
    return '+OK event listener enabled json';
  };
  await withAgent(await listening(fs), { waitReady: false }, async (rig) => {
    const { agent } = rig;
    await fs.until(() => held !== undefined, 'the subscription asked again');
    assert.equal(agent.ready, false);
    const notReady = await httpGet(agent.httpPort!, '/readyz');
    assert.equal(notReady.status, 503);
    const body = JSON.parse(notReady.body) as { ready: boolean; esl: string; reason?: string };
    assert.equal(body.esl, 'ready');
    assert.match(body.reason ?? '', /refused the event subscription \(.*-ERR temporarily refused\)/);
    assert.equal((agent.status()['esl'] as { events_subscription: string }).events_subscription, 'failed');
    const failed = linesOf(rig.logs, 'event subscription failed, retrying');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!['level'], 50);

    fs.answerEvent(held!, '+OK event listener enabled json');
    await until(agent, () => agent.ready, 'ready once subscribed');
    const ready = await httpGet(agent.httpPort!, '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(JSON.parse(ready.body), { ready: true, broker: 'connected', esl: 'ready' });
    assert.equal((agent.status()['esl'] as { events_subscription: string }).events_subscription, 'confirmed');
    const first = nextMessage(rig.client, 'freeswitch.events.>', fromFreeSwitch);
    await rig.client.flush();
    fs.sendJsonEvent(JSON.stringify({ 'Event-Name': 'CHANNEL_CREATE', 'Event-Date-Timestamp': String(Date.now() * 1000), 'Unique-ID': 'one' }));
    await first;

    // After a reconnect FreeSWITCH refuses the re-applied subscription and the next ask: still asked until accepted.
    const asked = fs.eventCommands.length;
    fs.onEventCommand = (_conn, _line, i) => (i < asked + 2 ? '-ERR not now' : '+OK event listener enabled json');
    fs.dropConnections();
    await until(agent, () => !agent.ready, 'the drop seen');
    await until(agent, () => agent.ready, 'ready again once subscribed');
    assert.ok(fs.eventCommands.length >= asked + 3, `${fs.eventCommands.length - asked} asks after the reconnect`);
    const second = nextMessage(rig.client, 'freeswitch.events.>', fromFreeSwitch);
    await rig.client.flush();
    fs.sendJsonEvent(JSON.stringify({ 'Event-Name': 'CHANNEL_CREATE', 'Event-Date-Timestamp': String(Date.now() * 1000), 'Unique-ID': 'two' }));
    await second;
  });
});
