// execute_app on a call parked with the agent's music, end to end (agent, simulator, NATS): the
// music's uuid_broadcast carries event-lock, so the park loop runs nothing queued behind it until
// it ends; the agent breaks it first. The park timeout is an hour: without the break the
// application cannot run before the test's own bound.
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { BusError, BusErrorCode, type EventPayload } from '@fsbus/contract';
import { EslEvent, type EventName } from '@fsbus/esl';
import { AgentMetrics, ParkManager, createExecuteAppCommand } from '@fsbus/agent';
import { CallControl } from '../src/call-control.js';
import { startRig, type Rig } from './call-control-harness.js';

async function callIn(rig: Rig, dest: string): Promise<string> {
  rig.sim.core.control.generateCalls({ ratePerSecond: 100, durationMs: 10, answerRatio: 1, destination: dest, holdMs: 600_000 });
  const created = await rig.events.waitFor((e) => e.event_name === 'CHANNEL_CREATE' && e.headers['Caller-Destination-Number'] === dest, `a call to ${dest}`);
  return created.uuid!;
}

const TONE = 'tone_stream://%(100,0,440)';

void describe('execute_app on a parked call playing the agent music', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
    for (const req of [
      { command: 'dialplan.enable' },
      { command: 'dialplan.audio', mode: 'music', music_class: 'moh' },
      { command: 'dialplan.timeout', seconds: 3600, cause: 'NO_USER_RESPONSE' },
    ]) assert.equal((await rig.request(req)).success, true, req.command);
  });
  after(() => rig.stop());

  /** The uuid_break commands FreeSWITCH ran on a channel (its API events). */
  const breaks = (uuid: string): EventPayload[] => rig.events.events.filter((e) => e.event_name === 'API' && e.headers['API-Command'] === 'uuid_break' && e.headers['API-Command-Argument'] === uuid);
  const names = (uuid: string): string[] => rig.events.of(uuid).map((e) => `${e.event_name}${e.headers['Application'] === undefined ? '' : `:${e.headers['Application-Data'] ?? ''}`}`);

  /** Runs a playback through execute_app and resolves with its completion from forward_to. */
  async function execute(uuid: string, box: string): Promise<EventPayload> {
    const inbox = await rig.inbox(box);
    const r = await rig.request({ command: 'execute_app', uuid, app: 'playback', args: TONE, forward_to: box });
    assert.equal(r.success, true, JSON.stringify(r));
    const messages = await inbox.count(2);
    const done = messages.map((m) => JSON.parse(m) as EventPayload).find((m) => m.event_name === 'CHANNEL_EXECUTE_COMPLETE');
    assert.ok(done !== undefined, messages.join('\n'));
    return done;
  }

  void test('the music is broken (uuid_break, once), the application runs now, the call stays parked', { timeout: 60_000 }, async () => {
    const uuid = await callIn(rig, '5801');
    await rig.events.waitFor((e) => e.event_name === 'PLAYBACK_START' && e.uuid === uuid && e.headers['Playback-File-Path'] === 'local_stream://moh', 'the park music');

    const first = await execute(uuid, 'cc.park.exec.1');
    assert.equal(first.headers['Application-Data'], TONE);
    assert.equal(first.headers['Application-Response'], 'FILE PLAYED');
    const stop = rig.events.of(uuid, 'PLAYBACK_STOP').find((e) => e.headers['Playback-File-Path'] === 'local_stream://moh');
    assert.equal(stop?.headers['Playback-Status'], 'break', names(uuid).join(','));
    const order = names(uuid);
    assert.ok(order.indexOf('CHANNEL_EXECUTE_COMPLETE:local_stream://moh') < order.indexOf(`CHANNEL_EXECUTE:${TONE}`), order.join(','));
    assert.equal(breaks(uuid).length, 1);

    // The music is gone: a second execute goes straight, no second break.
    await execute(uuid, 'cc.park.exec.2');
    assert.equal(breaks(uuid).length, 1);
    for (const name of ['CHANNEL_UNPARK', 'CHANNEL_HANGUP']) assert.equal(rig.events.of(uuid, name).length, 0, `${name}: ${names(uuid).join(',')}`);
    const status = (await rig.request({ command: 'dialplan.status' })).data as Record<string, unknown>;
    assert.equal(status['parked_now'], 1);
    assert.equal((await rig.request({ command: 'uuid_kill', args: uuid })).success, true);
  });

  void test('music stopped by someone else: its end is seen, the execute sends no uuid_break of its own', { timeout: 60_000 }, async () => {
    const uuid = await callIn(rig, '5803');
    await rig.events.waitFor((e) => e.event_name === 'PLAYBACK_START' && e.uuid === uuid && e.headers['Playback-File-Path'] === 'local_stream://moh', 'the park music');
    assert.equal((await rig.request({ command: 'uuid_break', args: uuid })).success, true);
    // The agent reads each event before publishing it: once this is on the bus, the agent knows.
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_EXECUTE_COMPLETE' && e.uuid === uuid && e.headers['Application-Data'] === 'local_stream://moh', 'the music over');
    const done = await execute(uuid, 'cc.park.exec.4');
    assert.equal(done.headers['Application-Response'], 'FILE PLAYED');
    assert.equal(breaks(uuid).length, 1, 'only the controller’s own');
    assert.equal((await rig.request({ command: 'uuid_kill', args: uuid })).success, true);
  });

  void test('a parked call without music: no uuid_break', { timeout: 60_000 }, async () => {
    assert.equal((await rig.request({ command: 'dialplan.audio', mode: 'silence' })).success, true);
    const uuid = await callIn(rig, '5802');
    await rig.events.waitFor((e) => e.event_name === 'CHANNEL_PARK' && e.uuid === uuid, 'the park');
    await execute(uuid, 'cc.park.exec.3');
    assert.equal(breaks(uuid).length, 0);
    assert.equal((await rig.request({ command: 'uuid_kill', args: uuid })).success, true);
  });
});

void describe('the break before an execute, without FreeSWITCH (call control and execute_app over recorded commands)', () => {
  const MUSIC = '%[playback_terminators=none]local_stream://moh';
  const warnings: string[] = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk: Buffer, _enc, next) {
        warnings.push((JSON.parse(chunk.toString('utf8')) as { msg: string }).msg);
        next();
      },
    }),
  );
  const park = new ParkManager({ nodeId: 'n1', logger });
  park.playAudioWith(() => Promise.resolve('+OK Message sent\n'));
  const calls = new CallControl({ maxExecuteWatches: 10, park, metrics: new AgentMetrics({ node_id: 'n1' }, () => 0, () => 0), logger, onChange: () => undefined });
  /** What went to FreeSWITCH, in order. */
  const sent: string[] = [];
  /** The reply to each uuid_break (or its failure). */
  let breakReply: (uuid: string) => Promise<string> = () => Promise.resolve('+OK\n');
  const handler = createExecuteAppCommand({
    nodeId: 'n1',
    completions: calls.completions,
    beforeExecute: (uuid, api) => park.stopAudioBeforeExecute(uuid, api),
    sendmsg: (uuid, msg) => {
      sent.push(`execute ${uuid} ${msg.headers?.['execute-app-name'] ?? ''}`);
      return Promise.resolve('+OK');
    },
    publish: () => undefined,
  });
  const ctx = {
    nodeId: 'n1',
    timeoutMs: 1000,
    signal: new AbortController().signal,
    api: (command: string) => {
      sent.push(command);
      return command.startsWith('uuid_break ') ? breakReply(command.slice('uuid_break '.length)) : Promise.resolve('+OK\n');
    },
    bgapi: () => Promise.reject(new Error('unused')),
    status: () => ({}),
  };
  const execute = (uuid: string) => handler.run({ command: 'execute_app', fields: { uuid, app: 'playback', args: 'x.wav' } }, ctx);
  const event = (name: EventName, uuid: string, audio?: string): EslEvent => {
    const e = EslEvent.create(name);
    e.addHeader('Unique-ID', uuid);
    e.addHeader('variable_fsbus_park_node', 'n1');
    if (audio !== undefined) e.addHeader('variable_fsbus_park_audio', audio);
    return e;
  };
  /** The music's PLAYBACK_START: a break is sent only once it played (park-audio-events.test.ts). */
  const playing = (uuid: string): void => {
    const e = EslEvent.create('PLAYBACK_START');
    e.addHeader('Unique-ID', uuid);
    e.addHeader('Playback-File-Path', 'local_stream://moh');
    calls.onEvent(e);
  };
  after(() => park.stop());

  void test('a failed uuid_break (an -ERR, no connection) is logged and the execute still goes', async () => {
    calls.onEvent(event('CHANNEL_PARK', 'u1', MUSIC));
    calls.onEvent(event('CHANNEL_PARK', 'u2', MUSIC));
    playing('u1');
    playing('u2');
    breakReply = (uuid) => (uuid === 'u1' ? Promise.resolve('-ERR No such channel!\n') : Promise.reject(new BusError(BusErrorCode.FREESWITCH_UNAVAILABLE, 'FreeSWITCH is not connected')));
    sent.length = 0;
    assert.equal((await execute('u1')).ok, true);
    assert.equal((await execute('u2')).ok, true);
    assert.deepEqual(sent, ['uuid_break u1', 'execute u1 playback', 'uuid_break u2', 'execute u2 playback']);
    assert.deepEqual(warnings, ['park audio not stopped before execute_app: the application waits until the audio ends']);
    // Once per broadcast, failed or not.
    sent.length = 0;
    assert.equal((await execute('u1')).ok, true);
    assert.deepEqual(sent, ['execute u1 playback']);
  });

  void test('executes sent while the break is awaited wait for it too, in order', async () => {
    let answer!: (reply: string) => void;
    breakReply = () => new Promise((resolve) => (answer = resolve));
    calls.onEvent(event('CHANNEL_PARK', 'u3', MUSIC));
    playing('u3');
    sent.length = 0;
    const first = execute('u3');
    const second = execute('u3');
    // Every fake here answers at once: one turn of the loop runs all there is to run before the reply.
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, ['uuid_break u3']);
    answer('+OK\n');
    await Promise.all([first, second]);
    assert.deepEqual(sent, ['uuid_break u3', 'execute u3 playback', 'execute u3 playback']);
  });

  void test('no break once the call left park or ended, nor on a park without audio', async () => {
    breakReply = () => Promise.resolve('+OK\n');
    calls.onEvent(event('CHANNEL_PARK', 'u4', MUSIC));
    calls.onEvent(event('CHANNEL_UNPARK', 'u4'));
    calls.onEvent(event('CHANNEL_PARK', 'u5', MUSIC));
    calls.onEvent(event('CHANNEL_HANGUP_COMPLETE', 'u5'));
    calls.onEvent(event('CHANNEL_PARK', 'u6', MUSIC));
    calls.onEvent(event('CHANNEL_DESTROY', 'u6'));
    calls.onEvent(event('CHANNEL_PARK', 'u7'));
    sent.length = 0;
    for (const uuid of ['u4', 'u5', 'u6', 'u7', 'never-parked']) assert.equal((await execute(uuid)).ok, true);
    assert.deepEqual(sent, ['execute u4 playback', 'execute u5 playback', 'execute u6 playback', 'execute u7 playback', 'execute never-parked playback']);
  });
});
