// Faults on the Event Socket side the agent must say plainly: a refused password (readiness,
// agent.status, one log line per burst), a connection the event socket ACL turns away (the same),
// frames of an unknown Content-Type (counted, logged) or none (the stream out of step), and FreeSWITCH refusing a bgapi outright
// (its own words to the caller, not "Internal error").
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode } from '@fsbus/contract';
import { Simulator } from '@fsbus/sim';
import { dec, until } from './support/cluster.js';
import { FakeFreeSwitch, type FakeConnection } from './support/fake-freeswitch.js';
import { EslTooLargeError, LIVENESS_PROBE } from '@fsbus/esl';
import { eslFailure } from '../src/commands/esl-failure.js';
import { linesOf, listening, nextMessage, occurrences, withAgent, type EslPeer, type Rig } from './support/fault-rig.js';
import { httpGet } from './support/http-get.js';

/** Not the agent's own lifecycle events (agent_start, events_resumed after a reconnect): FreeSWITCH's. */
const fromFreeSwitch = (m: { subject: string }): boolean => !m.subject.startsWith('freeswitch.events.custom.fsbus.');

const AUTH_LINE = 'FreeSWITCH refused the ESL password (FSBUS_ESL_PASSWORD), retrying';
const UNKNOWN_FRAME_LINE = 'FreeSWITCH sent a frame of an unknown Content-Type, ignored';
const authState = (rig: Rig) => (rig.agent.status()['esl'] as { auth: string }).auth;
const authFailures = (rig: Rig) => rig.counters()['esl_auth_failures'] ?? 0;

/** The simulator, refusing the ESL password until told otherwise. */
async function refusingSimulator(): Promise<{ sim: Simulator; peer: EslPeer }> {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  sim.control.refuseAuth(true);
  return { sim, peer: { port, stop: () => sim.stop() } };
}

async function readyzReason(rig: Rig): Promise<{ status: number; reason: string | undefined }> {
  const r = await httpGet(rig.agent.httpPort!, '/readyz');
  return { status: r.status, reason: (JSON.parse(r.body) as { reason?: string }).reason };
}

void test('a refused ESL password is said in /readyz, agent.status and the log (once per burst, no line per attempt); retried until accepted', async () => {
  const { sim, peer } = await refusingSimulator();
  await withAgent(peer, { waitReady: false }, async (r, stopAgent) => {
    const { agent, logs } = r;
    // The first connect of both connections (events + one command connection), refused again and again.
    await until(agent, () => authFailures(r) >= 6, 'six refused attempts');
    const first = await readyzReason(r);
    assert.equal(first.status, 503);
    assert.equal(first.reason, 'FreeSWITCH refused the ESL password (authentication refused: -ERR invalid), retrying: check FSBUS_ESL_PASSWORD');
    assert.equal(authState(r), 'refused');
    assert.ok((await r.metric('fsbus_esl_auth_failures_total'))! >= 6);
    const lines = linesOf(logs, AUTH_LINE);
    assert.ok(lines.length >= 1 && lines.length < authFailures(r), `${lines.length} lines for ${authFailures(r)} refusals`);
    assert.equal(lines[0]!['level'], 50);
    assert.equal(lines[0]!['reason'], 'authentication refused: -ERR invalid');
    assert.equal(linesOf(logs, 'FreeSWITCH not reachable, retrying').length, 0, 'a refused password is not "not reachable"');

    sim.control.refuseAuth(false);
    await until(agent, () => agent.ready, 'ready once the password is accepted');
    assert.equal(authState(r), 'accepted');
    assert.equal(linesOf(logs, 'FreeSWITCH accepted the ESL password').length, 1);

    // After a loss the client reconnects by itself: refused there too, said the same way.
    const before = authFailures(r);
    sim.control.refuseAuth(true);
    sim.control.dropConnections();
    await until(agent, () => authFailures(r) >= before + 6, 'six refused reconnects');
    assert.match((await readyzReason(r)).reason ?? '', /^FreeSWITCH refused the ESL password/);
    assert.equal(authState(r), 'refused');
    assert.equal(linesOf(logs, 'esl reconnect failed').length, 0, 'a line per attempt and connection');
    assert.equal(linesOf(logs, 'esl error').length, 0, 'a second line per attempt and connection');
    assert.ok(linesOf(logs, AUTH_LINE).length < authFailures(r) - before);
    sim.control.refuseAuth(false);
    await until(agent, () => agent.ready, 'ready again');
    await stopAgent();
    // The lines written (summaries included) account for every refusal.
    assert.equal(occurrences(linesOf(logs, AUTH_LINE)), (agent.status()['counters'] as Record<string, number>)['esl_auth_failures']);
  });
});

const REJECT_LINE = "FreeSWITCH turned the connection away (its event socket's apply-inbound-acl), retrying";
const rejections = (rig: Rig) => rig.counters()['esl_rejections'] ?? 0;

void test('a connection the event socket ACL turns away is said as such (not "not reachable", not the password); back to plain once FreeSWITCH is gone', async () => {
  // FreeSWITCH's apply-inbound-acl without loopback: every connection is answered text/rude-rejection.
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, acl: ['10.0.0.0/8'] });
  const { port } = await sim.start();
  await withAgent({ port, stop: () => sim.stop() }, { waitReady: false }, async (r, stopAgent) => {
    const { agent, logs } = r;
    await until(agent, () => rejections(r) >= 4, 'four turned-away attempts');
    const ready = await readyzReason(r);
    assert.equal(ready.status, 503);
    assert.equal(ready.reason, 'FreeSWITCH turned the connection away (Access Denied, go away.), retrying: its event socket ACL (apply-inbound-acl) must allow this host');
    assert.ok((await r.metric('fsbus_esl_rejections_total'))! >= 4);
    const lines = linesOf(logs, REJECT_LINE);
    assert.ok(lines.length >= 1 && lines.length < rejections(r), `${lines.length} lines for ${rejections(r)} rejections`);
    assert.equal(lines[0]!['level'], 50);
    assert.equal(lines[0]!['reason'], 'Access Denied, go away.');
    assert.equal(linesOf(logs, 'FreeSWITCH not reachable, retrying').length, 0, 'turned away is not "not reachable"');
    assert.equal(authFailures(r), 0, 'no password was tried');
    assert.equal(authState(r), 'unknown');
    // FreeSWITCH goes away: the attempts now find no listener, and /readyz says that instead.
    await sim.control.stopListener();
    await until(agent, () => linesOf(logs, 'FreeSWITCH not reachable, retrying').length >= 1, 'an attempt that found no listener');
    // An attempt in flight as the listener closed is reset rather than refused: either says unreachable.
    assert.match((await readyzReason(r)).reason ?? '', /^FreeSWITCH event connection (connecting|reconnecting|disconnected): cannot connect to FreeSWITCH at 127\.0\.0\.1:\d+: connection (refused|reset)/);
    await stopAgent();
    // The lines written (summaries included) account for every rejection.
    assert.equal(occurrences(linesOf(logs, REJECT_LINE)), rejections(r));
  });
});

void test('a reconnect the event socket ACL turns away counts one rejection per attempt (not one more for the client\'s error)', async () => {
  const fs = new FakeFreeSwitch();
  await withAgent(await listening(fs), {}, async (r, stopAgent) => {
    const { agent, logs } = r;
    // Connected, then FreeSWITCH's ACL changes: the client's own reconnects are turned away.
    fs.rejecting = true;
    fs.dropConnections();
    await fs.until(() => fs.rejected >= 4, 'four turned-away reconnects');
    fs.rejecting = false;
    // Ready again: every connection's attempts are over, each one counted.
    await until(agent, () => agent.ready, 'ready once the ACL lets it in');
    assert.equal(rejections(r), fs.rejected);
    await stopAgent();
    assert.equal(occurrences(linesOf(logs, REJECT_LINE)), fs.rejected);
  });
});

void test('a refused password that turns into an unreachable FreeSWITCH: /readyz stops blaming the password', async () => {
  const { sim, peer } = await refusingSimulator();
  await withAgent(peer, { waitReady: false }, async (r) => {
    await until(r.agent, () => authFailures(r) >= 2, 'refused attempts');
    assert.match((await readyzReason(r)).reason ?? '', /^FreeSWITCH refused the ESL password/);
    // FreeSWITCH goes away: the next attempts are refused by the host, not by FreeSWITCH.
    await sim.control.stopListener();
    await until(r.agent, () => linesOf(r.logs, 'FreeSWITCH not reachable, retrying').length >= 1, 'an attempt that found no listener');
    const ready = await readyzReason(r);
    assert.equal(ready.status, 503);
    assert.match(ready.reason ?? '', /^FreeSWITCH event connection (connecting|reconnecting|disconnected): cannot connect to FreeSWITCH at 127\.0\.0\.1:\d+: connection refused/);
  });
});

void test('frames of an unknown or empty Content-Type are counted and logged once per burst, the connection goes on', async () => {
  const fs = new FakeFreeSwitch();
  await withAgent(await listening(fs), {}, async (rig, stopAgent) => {
    const { logs } = rig;
    const good = nextMessage(rig.client, 'freeswitch.events.>', fromFreeSwitch);
    await rig.client.flush();
    fs.eventsFrame('application/x-future', 'hello');
    fs.eventsConnection!.write('Content-Type: \nContent-Length: 5\n\nhello');
    fs.sendJsonEvent(JSON.stringify({ 'Event-Name': 'CHANNEL_CREATE', 'Event-Date-Timestamp': String(Date.now() * 1000), 'Unique-ID': 'after' }));
    assert.equal((JSON.parse(dec((await good).data)) as { uuid: string }).uuid, 'after');
    assert.equal(rig.counters()['esl_unknown_frames'], 2);
    assert.equal(rig.counters()['esl_protocol_errors'], 0);
    assert.equal(await rig.metric('fsbus_esl_unknown_frames_total'), 2);
    const [line, ...more] = linesOf(logs, UNKNOWN_FRAME_LINE);
    assert.equal(more.length, 0, 'the second one is counted into the next line');
    assert.equal(line?.['level'], 40);
    assert.equal(line['content_type'], 'application/x-future');
    assert.equal(line['connection'], 'events');
    await stopAgent();
    const all = linesOf(logs, UNKNOWN_FRAME_LINE);
    assert.equal(occurrences(all), 2);
    assert.equal(all.at(-1)?.['content_type'], '(none)');
  });
});

void test('a frame without Content-Type (bytes glued to its front) is the stream out of step: a protocol error, the events connection is made again and events go on', async () => {
  const fs = new FakeFreeSwitch();
  await withAgent(await listening(fs), {}, async (rig) => {
    const first = fs.eventsConnection!;
    const subscribed = fs.eventCommands.length;
    first.write('\x00\x01Content-Type: text/event-json\nContent-Length: 5\n\nhello');
    await fs.until(() => fs.eventCommands.length > subscribed && fs.eventsConnection !== first, 'the events connection made again');
    const good = nextMessage(rig.client, 'freeswitch.events.>', fromFreeSwitch);
    await rig.client.flush();
    fs.sendJsonEvent(JSON.stringify({ 'Event-Name': 'CHANNEL_CREATE', 'Event-Date-Timestamp': String(Date.now() * 1000), 'Unique-ID': 'after' }));
    assert.equal((JSON.parse(dec((await good).data)) as { uuid: string }).uuid, 'after');
    assert.equal(rig.counters()['esl_protocol_errors'], 1);
    assert.equal(rig.counters()['esl_unknown_frames'] ?? 0, 0);
  });
});

void test('a bgapi FreeSWITCH refuses outright (-ERR, no job) fails with its text, not "Internal error"', async () => {
  const fs = new FakeFreeSwitch();
  fs.onCommand = (_conn, line) => (line.startsWith('bgapi ') ? '-ERR no can do' : undefined);
  await withAgent(await listening(fs), {}, async (rig) => {
    const o = await rig.request('{"command":"originate","endpoint":"user/1000","extension":"&park()","uuid":"orig-1"}');
    assert.equal(o.success, false);
    assert.equal(o.code, BusErrorCode.COMMAND_FAILED, JSON.stringify(o));
    assert.equal(o.message, 'Call origination failed');
    const data = o.data as { uuid: string; job_uuid: string; result: string };
    assert.equal(data.uuid, 'orig-1');
    assert.match(data.job_uuid, /^[0-9a-f-]{36}$/);
    assert.equal(data.result, '-ERR no can do');
    const bg = await rig.request('{"command":"status","bg":true}');
    assert.equal(bg.code, BusErrorCode.COMMAND_FAILED, JSON.stringify(bg));
    assert.equal(bg.message, 'API command failed');
    assert.equal(bg.data, '-ERR no can do');
    assert.equal(linesOf(rig.logs, 'command failed unexpectedly').length, 0);
  });
});

void test('a FreeSWITCH that stops answering on an open socket is reconnected after an unanswered liveness probe (esl.liveness_ms)', async () => {
  const fs = new FakeFreeSwitch();
  let silenced: FakeConnection | undefined;
  // The first probe on the event connection goes unanswered, as from a host gone without a FIN.
  fs.onCommand = (conn, line) => {
    if (line !== LIVENESS_PROBE) return undefined;
    if (silenced === undefined && conn === fs.eventsConnection) silenced = conn;
    return conn === silenced ? null : '-ERR command not found';
  };
  await withAgent(await listening(fs), { config: { esl: { liveness_ms: 100 } } }, async ({ agent }) => {
    const eslReconnects = (): number => (agent.status()['esl'] as { reconnects: number }).reconnects;
    await until(agent, () => eslReconnects() >= 1 && agent.ready, 'the event connection reconnected and ready again');
    assert.notEqual(fs.eventsConnection, silenced, 'subscribed again on a new connection');
  });
});

void test('a FreeSWITCH reply over the Event Socket limit is REPLY_TOO_LARGE on the bus, naming both sizes (its connection goes on)', () => {
  const failed = eslFailure(new EslTooLargeError("FreeSWITCH's api/response", 70_000_000, 67_108_864), 30_000);
  assert.equal(failed?.code, BusErrorCode.REPLY_TOO_LARGE);
  assert.equal(failed?.message, "FreeSWITCH's reply is 70000000 bytes, over the Event Socket limit of 67108864 bytes");
});
