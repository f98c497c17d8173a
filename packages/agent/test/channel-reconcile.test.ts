// Call-control state after the event connection was lost: channels that ended meanwhile (their
// hangup never seen) are found with `show channels` once events flow again and ended as a hangup
// would end them; channels tracked since, and everything when the list fails, are kept.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { ChannelReconciler, EXISTS_COMMAND, ExecuteAppMessage, liveChannels, LossMarks, PARK_MARKER_VAR, type Agent, type ChannelTracker } from '@fsbus/agent';
import { silentLogger } from '@fsbus/esl';
import { BusErrorCode, type ReplyEnvelope } from '@fsbus/contract';
import type { Simulator } from '@fsbus/sim';
import type { Driver } from '@fsbus/transport';
import { startRig } from './call-control-harness.js';
import { dec, until } from './support/cluster.js';
import { FakeFreeSwitch, type FakeConnection } from './support/fake-freeswitch.js';
import { linesOf, listening, withAgent, type Rig } from './support/fault-rig.js';

const counters = (agent: Agent) => agent.status()['counters'] as Record<string, number>;
const parkedNow = (agent: Agent) => agent.park.status()['parked_now'];

/** Resolves once the simulator's core has destroyed every channel of `uuids` (seen in the core, not on any connection). */
function destroyed(sim: Simulator, uuids: string[]): Promise<void> {
  const left = new Set(uuids);
  return new Promise((resolve) => {
    const off = sim.core.onEvent((e) => {
      if (e.name !== 'CHANNEL_DESTROY' || e.uuid === undefined) return;
      left.delete(e.uuid);
      if (left.size > 0) return;
      off();
      resolve();
    });
  });
}

/** The value of a counter sample with these labels in the agent's registry. */
async function sample(agent: Agent, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = await agent.metrics.registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
}

void test('FreeSWITCH restarted: the execute_app wait and the parked call that ended meanwhile are ended, forward_to is told', async () => {
  const rig = await startRig();
  try {
    const { sim } = rig;
    sim.core.control.setEndpointBehavior('user/2000', { answer: 'answer' });
    const uuid = randomUUID();
    const o = await rig.request({ command: 'originate', endpoint: 'user/2000', extension: '&park()', uuid });
    assert.equal(o.success, true, JSON.stringify(o));
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.uuid === uuid, 'the channel parked');
    // A call parked by park mode.
    assert.equal((await rig.request({ command: 'dialplan.enable' })).success, true);
    sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, answerRatio: 1, destination: '7001', holdMs: 600_000 });
    const call = await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.headers[`variable_${PARK_MARKER_VAR}`] === 'cc-1', 'a call parked by park mode');
    await until(rig.agent, () => parkedNow(rig.agent) === 1, 'parked_now 1');

    const box = await rig.inbox('cc.exec.lost');
    const x = await rig.request({ command: 'execute_app', uuid, app: 'sleep', args: '60000', forward_to: 'cc.exec.lost', correlation_id: 'c-42' });
    assert.equal(x.success, true, JSON.stringify(x));
    const applicationUuid = (x.data as { application_uuid: string }).application_uuid;
    await box.count(1);
    assert.equal(counters(rig.agent)['execute_watches_pending'], 1);

    // FreeSWITCH goes away; both channels end while nobody listens; it comes back.
    await sim.control.stopListener();
    const gone = destroyed(sim, [uuid, call.uuid!]);
    await sim.core.api('uuid_kill', uuid);
    await sim.core.api('uuid_kill', call.uuid!);
    await gone;
    await sim.control.startListener();

    await until(rig.agent, () => counters(rig.agent)['execute_watches_pending'] === 0 && parkedNow(rig.agent) === 0, 'the ended channels forgotten');
    const [, told] = await box.count(2);
    const envelope = JSON.parse(told!) as ReplyEnvelope;
    assert.equal(envelope.success, false);
    assert.equal(envelope.code, BusErrorCode.SESSION_NOT_FOUND);
    assert.equal(envelope.message, ExecuteAppMessage.ENDED_UNSEEN);
    assert.deepEqual(envelope.data, { application_uuid: applicationUuid, uuid, app: 'sleep' });
    assert.equal(envelope.correlation_id, 'c-42');
    const c = counters(rig.agent);
    assert.equal(c['execute_watches_ended_unseen'], 1);
    assert.equal(c['parked_ended_unseen'], 1);
    assert.equal(c['channel_reconcile_failures'], 0);
    assert.equal(await sample(rig.agent, 'fsbus_channels_ended_unseen_total', { table: 'execute_watches' }), 1);
    assert.equal(await sample(rig.agent, 'fsbus_channels_ended_unseen_total', { table: 'parked' }), 1);
    assert.equal(((await rig.request({ command: 'dialplan.status' })).data as { parked_now: number }).parked_now, 0);
  } finally {
    await rig.stop();
  }
});

/** A CHANNEL_PARK of a call park mode parked (it carries the marker with the agent's node id). */
function parkEvent(uuid: string): string {
  return JSON.stringify({ 'Event-Name': 'CHANNEL_PARK', 'Event-Date-Timestamp': String(Date.now() * 1000), 'Unique-ID': uuid, [`variable_${PARK_MARKER_VAR}`]: 'node-1' });
}

/** execute_app of a long playback with forward_to; resolves with its application uuid. */
async function execApp(rig: Rig, channel: string, forwardTo: string): Promise<string> {
  const r = await rig.request(JSON.stringify({ command: 'execute_app', uuid: channel, app: 'playback', args: 'long.wav', forward_to: forwardTo }));
  assert.equal(r.success, true, JSON.stringify(r));
  return (r.data as { application_uuid: string }).application_uuid;
}

/** Messages on `subject`, in order. */
function collect(client: Driver, subject: string): string[] {
  const out: string[] = [];
  client.subscribe(subject, (m) => out.push(dec(m.data)));
  return out;
}

void test('a failed channel list forgets nothing; a channel tracked after the loss is kept even when the list misses it', async () => {
  const fs = new FakeFreeSwitch();
  const lists: FakeConnection[] = [];
  // The first list fails, the next ones are held until the test answers.
  fs.onApi = (conn, command) => {
    if (command !== 'show channels as json') return undefined;
    lists.push(conn);
    return lists.length === 1 ? '-ERR no way\n' : null;
  };
  // Two command connections: a held list must not hold up the sendmsg of a new execute_app.
  await withAgent(await listening(fs), { config: { esl: { pool_size: 2 } } }, async (rig) => {
    const { agent } = rig;
    const gone = collect(rig.client, 'done.gone');
    const fresh = collect(rig.client, 'done.new');
    await rig.client.flush();
    const goneApp = await execApp(rig, 'chan-gone', 'done.gone');
    await execApp(rig, 'chan-live', 'done.live');
    fs.sendJsonEvent(parkEvent('park-gone'));
    fs.sendJsonEvent(parkEvent('park-live'));
    await until(agent, () => parkedNow(agent) === 2, 'two parked');

    // Lost; the list after the reconnect fails: nothing forgotten, said in the log and counted.
    fs.dropConnections();
    const applied = () => (counters(agent)['channel_reconcile_failures'] ?? 0) + (counters(agent)['execute_watches_ended_unseen'] ?? 0) > 0;
    await until(agent, applied, 'the list answered');
    assert.equal(counters(agent)['execute_watches_pending'], 2, 'nothing forgotten');
    assert.equal(parkedNow(agent), 2, 'nothing forgotten');
    assert.equal(counters(agent)['channel_reconcile_failures'], 1);
    const [failure] = linesOf(rig.logs, 'could not list FreeSWITCH channels after the reconnect; nothing forgotten, asking again at the next reconnect');
    assert.match(String(failure?.['reason']), /-ERR no way/);

    // Lost again; while the list is held, a new watch and a new park (both after the loss, after the ask).
    fs.dropConnections();
    await fs.until(() => lists.length === 2, 'the list asked again');
    // The sendmsg must go to the other connection, not queue behind the held list.
    await until(agent, () => (agent.status()['esl'] as { command_connections_ready: number }).command_connections_ready === 2, 'both command connections up');
    await execApp(rig, 'chan-new', 'done.new');
    fs.sendJsonEvent(parkEvent('park-new'));
    await until(agent, () => parkedNow(agent) === 3, 'the new park counted');
    // FreeSWITCH's list was taken before they existed: only the old live ones are in it.
    lists[1]!.apiResponse(JSON.stringify({ row_count: 2, rows: [{ uuid: 'chan-live' }, { uuid: 'park-live' }] }));
    await until(agent, () => (counters(agent)['execute_watches_ended_unseen'] ?? 0) > 0, 'the list applied');
    const c = counters(agent);
    assert.equal(c['execute_watches_ended_unseen'], 1, 'only chan-gone ended');
    assert.equal(c['execute_watches_pending'], 2, 'chan-live and chan-new still watched');
    assert.equal(c['parked_ended_unseen'], 1);
    assert.equal(parkedNow(agent), 2, 'park-live and park-new still parked');
    assert.equal(c['channel_reconcile_failures'], 1);
    assert.equal(await rig.metric('fsbus_channel_reconcile_failures_total'), 1);

    // The one forgotten was told on its forward_to; the new one got its dispatch reply only.
    await rig.request('{"command":"agent.status"}'); // everything published before this reply is delivered by now
    assert.equal(gone.length, 2);
    const told = JSON.parse(gone[1]!) as ReplyEnvelope;
    assert.equal(told.code, BusErrorCode.SESSION_NOT_FOUND);
    assert.deepEqual(told.data, { application_uuid: goneApp, uuid: 'chan-gone', app: 'playback' });
    assert.equal(fresh.length, 1);
    assert.equal((JSON.parse(fresh[0]!) as ReplyEnvelope).success, true);
  });
});

void test('a watch begun while events were down, whose channel ended unseen, is ended once they are back (uuid_exists)', async () => {
  const fs = new FakeFreeSwitch();
  /** The event subscriptions after the first, held until the test answers. */
  const held: Array<{ conn: FakeConnection }> = [];
  fs.onEventCommand = (conn, _line, index) => {
    if (index === 0) return '+OK event listener enabled json';
    held.push({ conn });
    return undefined;
  };
  const existsAsked: string[] = [];
  fs.onApi = (_conn, command) => {
    if (command === 'show channels as json') return JSON.stringify({ row_count: 1, rows: [{ uuid: 'chan-old' }] });
    if (command.startsWith('uuid_exists ')) {
      existsAsked.push(command);
      return command === 'uuid_exists chan-new' ? 'false' : 'true';
    }
    return undefined;
  };
  await withAgent(await listening(fs), {}, async (rig) => {
    const { agent } = rig;
    const told = collect(rig.client, 'done.new');
    await rig.client.flush();
    await execApp(rig, 'chan-old', 'done.old');
    // The event connection is lost and its subscription held: commands work, events do not flow.
    fs.dropConnections();
    await fs.until(() => held.length === 1, 'the subscription asked again');
    await until(agent, () => (agent.status()['esl'] as { command_connections_ready: number }).command_connections_ready === 1, 'a command connection up');
    // A watch begun during the outage; its channel ends while nobody listens.
    const newApp = await execApp(rig, 'chan-new', 'done.new');
    assert.equal(counters(agent)['execute_watches_pending'], 2);
    fs.answerEvent(held[0]!.conn, '+OK event listener enabled json');
    // FreeSWITCH's list (from its database) may be older than chan-new: chan-new is asked about by itself.
    await until(agent, () => (counters(agent)['execute_watches_ended_unseen'] ?? 0) > 0, 'the watch of the ended channel ended');
    assert.deepEqual(existsAsked, ['uuid_exists chan-new']);
    assert.equal(counters(agent)['execute_watches_pending'], 1, 'chan-old, in the list, still watched');
    const [checked] = linesOf(rig.logs, 'channels checked after the FreeSWITCH event connection came back');
    assert.deepEqual([checked?.['asked'], checked?.['ended']], [1, { execute_watches: 1, parked: 0 }]);
    await rig.request('{"command":"agent.status"}'); // everything published before this reply is delivered by now
    assert.equal(told.length, 2);
    const envelope = JSON.parse(told[1]!) as ReplyEnvelope;
    assert.equal(envelope.code, BusErrorCode.SESSION_NOT_FOUND);
    assert.equal(envelope.message, ExecuteAppMessage.ENDED_UNSEEN);
    assert.deepEqual(envelope.data, { application_uuid: newApp, uuid: 'chan-new', app: 'playback' });
  });
});

void test('a CHANNEL_DESTROY before the completion tells forward_to too', async () => {
  const fs = new FakeFreeSwitch();
  await withAgent(await listening(fs), {}, async (rig) => {
    const box = collect(rig.client, 'done.hup');
    await rig.client.flush();
    const r = await rig.request(JSON.stringify({ command: 'execute_app', uuid: 'chan-hup', app: 'playback', args: 'x.wav', forward_to: 'done.hup' }));
    assert.equal(r.success, true);
    fs.sendJsonEvent(JSON.stringify({ 'Event-Name': 'CHANNEL_DESTROY', 'Event-Date-Timestamp': String(Date.now() * 1000), 'Unique-ID': 'chan-hup' }));
    await until(rig.agent, () => counters(rig.agent)['execute_watches_pending'] === 0, 'the watch ended');
    await rig.request('{"command":"agent.status"}');
    assert.equal(box.length, 2);
    const told = JSON.parse(box[1]!) as ReplyEnvelope;
    assert.equal(told.code, BusErrorCode.SESSION_NOT_FOUND);
    assert.equal(told.message, ExecuteAppMessage.ENDED);
  });
});

void test('liveChannels reads FreeSWITCH\'s list and refuses anything else', () => {
  assert.deepEqual(liveChannels('{"row_count":0}'), new Set());
  assert.deepEqual(liveChannels('{"row_count":2,"rows":[{"uuid":"a","name":"x"},{"uuid":"b"}]}\n'), new Set(['a', 'b']));
  for (const bad of ['-ERR no reply\n', '', '[]', '{"rows":[]}', '{"row_count":2,"rows":[{"uuid":"a"}]}', '{"row_count":1,"rows":[{"name":"x"}]}']) {
    assert.equal(typeof liveChannels(bad), 'string', bad);
  }
});

/** A table of channels for the reconciler alone (uuid → the loss count it began at), kept by LossMarks as the agent's tables are. */
class Table {
  readonly entries = new Map<string, number>();
  readonly tracker: ChannelTracker = new LossMarks({
    entries: this.entries,
    since: (since) => since,
    channel: (uuid) => uuid,
    end: (uuid) => this.entries.delete(uuid),
  });
  add(uuid: string): void {
    this.entries.set(uuid, this.tracker.losses);
  }
}

void test('ChannelReconciler: waits for a command connection, retries a failed list only after the next events reconnect', async () => {
  const table = new Table();
  const asked: Array<(answer: string | undefined | Error) => void> = [];
  const commands: string[] = [];
  const settled: string[] = [];
  let flowing = true;
  const r = new ChannelReconciler({
    trackers: { t: table.tracker },
    api: (command) => {
      commands.push(command);
      return new Promise<string | undefined>((resolve, reject) => asked.push((a) => (a instanceof Error ? reject(a) : resolve(a))));
    },
    eventsFlowing: () => flowing,
    logger: silentLogger,
    onReconciled: (ended) => settled.push(`ok ${ended['t']}`),
    onFailed: () => settled.push('failed'),
  });
  const next = async (answer: string | undefined | Error): Promise<void> => {
    const n = settled.length;
    asked.shift()!(answer);
    // The run settles within a few microtasks; nothing here waits on a clock.
    for (let i = 0; i < 10 && settled.length === n; i++) await Promise.resolve();
  };
  table.add('a');
  r.poke('events');
  assert.equal(asked.length, 0, 'nothing lost yet: no list');
  r.eventsLost();
  r.poke('events');
  assert.equal(asked.length, 1);
  await next(undefined); // no command connection ready
  r.poke('commands');
  assert.equal(asked.length, 1, 'the first command connection up asks');
  await next(new Error('timed out'));
  assert.deepEqual(settled, ['failed']);
  r.poke('commands');
  assert.equal(asked.length, 0, 'a failed list waits for the event connection');
  r.poke('events');
  assert.equal(asked.length, 1);
  table.add('b'); // began after the first loss: this list does not judge it, FreeSWITCH is asked about it
  // Lost again while the list is out, events back meanwhile.
  r.eventsLost();
  r.poke('events');
  await next('{"row_count":0}');
  assert.deepEqual(commands.at(-1), `${EXISTS_COMMAND} b`);
  await next('true');
  assert.deepEqual(settled, ['failed', 'ok 1']);
  assert.deepEqual([...table.entries.keys()], ['b']);
  assert.equal(asked.length, 1, 'the loss during the list is looked at at once');
  await next('{"row_count":0}');
  assert.deepEqual(settled, ['failed', 'ok 1', 'ok 1']);
  assert.equal(r.due, false);
  // Events not flowing yet: nothing asked.
  table.add('c');
  r.eventsLost();
  flowing = false;
  r.poke('events');
  r.poke('commands');
  assert.equal(asked.length, 0);
  flowing = true;
  r.poke('events');
  await next('{"row_count":1,"rows":[{"uuid":"c"}]}');
  assert.deepEqual(settled, ['failed', 'ok 1', 'ok 1', 'ok 0']);
  assert.deepEqual([...table.entries.keys()], ['c']);
  // Begun since the loss and missing from the list: each asked about; `false` ends it, an error
  // answer keeps it, a uuid that cannot be one argument is not asked about.
  r.eventsLost();
  for (const uuid of ['d', 'e', 'f g']) table.add(uuid);
  r.poke('events');
  await next('{"row_count":1,"rows":[{"uuid":"c"}]}');
  assert.equal(commands.at(-1), `${EXISTS_COMMAND} d`);
  await next('false');
  assert.equal(commands.at(-1), `${EXISTS_COMMAND} e`);
  await next('-ERR no such command\n');
  assert.deepEqual(settled, ['failed', 'ok 1', 'ok 1', 'ok 0', 'ok 1']);
  assert.deepEqual([...table.entries.keys()], ['c', 'e', 'f g']);
  assert.equal(asked.length, 0);
  r.close();
});

void test('ChannelReconciler: every channel begun during the outage and missing from the list is asked about, one at a time, however many', async () => {
  const table = new Table();
  const commands: string[] = [];
  const ended: number[] = [];
  let inFlight = 0;
  let most = 0;
  let done!: () => void;
  const reconciled = new Promise<void>((resolve) => (done = resolve));
  const r = new ChannelReconciler({
    trackers: { t: table.tracker },
    api: async (command) => {
      commands.push(command);
      most = Math.max(most, ++inFlight);
      await Promise.resolve();
      inFlight--;
      if (command === 'show channels as json') return '{"row_count":0}';
      // Every third channel ended during the outage.
      return Number(command.split('-')[1]) % 3 === 0 ? 'false' : 'true';
    },
    eventsFlowing: () => true,
    logger: silentLogger,
    onReconciled: (e) => {
      ended.push(e['t'] ?? 0);
      done();
    },
    onFailed: () => assert.fail('the list did not fail'),
  });
  r.eventsLost();
  for (let i = 0; i < 1000; i++) table.add(`ch-${i}`);
  r.poke('events');
  await reconciled;
  assert.equal(commands.filter((c) => c.startsWith(`${EXISTS_COMMAND} `)).length, 1000, 'every channel asked about (256 at most before)');
  assert.equal(most, 1, 'one command at a time');
  assert.deepEqual(ended, [334]);
  assert.equal(table.entries.size, 666);
  r.close();
});
