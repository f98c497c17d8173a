// When the agent breaks its park music before an execute_app, read from FreeSWITCH's events (fed
// here by hand, commands recorded): the music's own end (CHANNEL_EXECUTE_COMPLETE of the
// broadcast's playback) leaves nothing to break, and a break sent before the playback started
// (its PLAYBACK_START) would stop nothing, so the execute waits for that start.
import { after, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { EslEvent, type EventName } from '@fsbus/esl';
import { AgentMetrics, ParkManager, createExecuteAppCommand } from '@fsbus/agent';
import { CallControl } from '../src/call-control.js';

const MUSIC = '%[playback_timeout_sec=300,playback_terminators=none]local_stream://moh';
/** What FreeSWITCH reports of that broadcast: switch_core_session_exec strips the %[…] block. */
const STREAM = 'local_stream://moh';

function rig(audioStartWaitMs?: number) {
  const park = new ParkManager({ nodeId: 'n1', logger: pino({ level: 'silent' }), audioStartWaitMs });
  park.playAudioWith(() => Promise.resolve('+OK Message sent\n'));
  const calls = new CallControl({ maxExecuteWatches: 10, park, metrics: new AgentMetrics({ node_id: 'n1' }, () => 0, () => 0), logger: pino({ level: 'silent' }), onChange: () => undefined });
  /** What went to FreeSWITCH, in order. */
  const sent: string[] = [];
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
      return Promise.resolve('+OK\n');
    },
    bgapi: () => Promise.reject(new Error('unused')),
    status: () => ({}),
  };
  const execute = (uuid: string) => handler.run({ command: 'execute_app', fields: { uuid, app: 'playback', args: 'x.wav' } }, ctx);
  const feed = (name: EventName, uuid: string, headers: Record<string, string> = {}): void => {
    const e = EslEvent.create(name);
    e.addHeader('Unique-ID', uuid);
    for (const [k, v] of Object.entries(headers)) e.addHeader(k, v);
    calls.onEvent(e);
  };
  const parked = (uuid: string): void => feed('CHANNEL_PARK', uuid, { variable_fsbus_park_node: 'n1', variable_fsbus_park_audio: MUSIC });
  const started = (uuid: string, path = STREAM): void => feed('PLAYBACK_START', uuid, { 'Playback-File-Path': path });
  const completed = (uuid: string, data = STREAM): void => feed('CHANNEL_EXECUTE_COMPLETE', uuid, { Application: 'playback', 'Application-Data': data, 'Application-Response': 'FILE PLAYED', 'Application-UUID': `app-${uuid}` });
  return { park, calls, sent, execute, feed, parked, started, completed };
}

/** Every fake here answers at once: one turn of the loop runs all there is to run. */
const turn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

void describe('park music ended by itself', () => {
  const r = rig();
  after(() => r.park.stop());

  void test('its CHANNEL_EXECUTE_COMPLETE clears the mark: the next execute_app sends no uuid_break', async () => {
    r.parked('e1');
    r.started('e1');
    // The playback ended on its own (playback_timeout_sec, a file that ends, a uuid_break of someone else's).
    r.completed('e1');
    r.sent.length = 0;
    assert.equal((await r.execute('e1')).ok, true);
    assert.deepEqual(r.sent, ['execute e1 playback']);
  });

  void test('a class FreeSWITCH cannot play (no PLAYBACK_START, only the completion) is no music either', async () => {
    r.parked('e2');
    r.completed('e2');
    r.sent.length = 0;
    assert.equal((await r.execute('e2')).ok, true);
    assert.deepEqual(r.sent, ['execute e2 playback']);
  });

  void test('the completion of another playback on the channel leaves the music marked', async () => {
    r.parked('e3');
    r.started('e3');
    r.completed('e3', 'other.wav');
    r.completed('e4');
    r.sent.length = 0;
    assert.equal((await r.execute('e3')).ok, true);
    assert.deepEqual(r.sent, ['uuid_break e3', 'execute e3 playback']);
  });
});

void describe('an execute_app before the park music started', () => {
  const r = rig();
  after(() => r.park.stop());

  void test('waits for its PLAYBACK_START, then breaks it and executes', async () => {
    r.parked('s0');
    r.started('s0');
    r.parked('s1');
    r.sent.length = 0;
    const first = r.execute('s1');
    const second = r.execute('s1');
    await turn();
    assert.deepEqual(r.sent, [], 'nothing sent before the music started');
    // Another file's start on the channel is not the music's.
    r.started('s1', 'other.wav');
    await turn();
    assert.deepEqual(r.sent, []);
    r.started('s1');
    assert.equal((await first).ok, true);
    assert.equal((await second).ok, true);
    assert.deepEqual(r.sent, ['uuid_break s1', 'execute s1 playback', 'execute s1 playback']);
  });

  void test('the music ending without a start, the call leaving park or ending: the execute goes, unbroken', async () => {
    r.sent.length = 0;
    const runs: Array<Promise<unknown>> = [];
    for (const uuid of ['w1', 'w2', 'w3', 'w4']) {
      r.parked(uuid);
      runs.push(r.execute(uuid));
    }
    await turn();
    assert.deepEqual(r.sent, []);
    r.completed('w1');
    r.feed('CHANNEL_UNPARK', 'w2');
    r.feed('CHANNEL_HANGUP_COMPLETE', 'w3');
    r.feed('CHANNEL_DESTROY', 'w4');
    await Promise.all(runs);
    assert.deepEqual(r.sent, ['execute w1 playback', 'execute w2 playback', 'execute w3 playback', 'execute w4 playback']);
  });

  void test('events lost meanwhile: the start may have gone unseen, so the break goes now', async () => {
    r.parked('l1');
    r.sent.length = 0;
    const run = r.execute('l1');
    await turn();
    assert.deepEqual(r.sent, []);
    r.park.tracker.eventsLost();
    assert.equal((await run).ok, true);
    assert.deepEqual(r.sent, ['uuid_break l1', 'execute l1 playback']);
  });
});

void describe('a park audio start that never comes', () => {
  // The broadcast flushed from the channel's queue (someone's `uuid_break <uuid> all`): neither its
  // start nor its completion will be sent, and the wait ends at its bound.
  const r = rig(1);
  after(() => r.park.stop());

  void test('the execute breaks and goes once the wait for the start runs out', async () => {
    r.parked('n1');
    r.sent.length = 0;
    assert.equal((await r.execute('n1')).ok, true);
    assert.deepEqual(r.sent, ['uuid_break n1', 'execute n1 playback']);
  });
});
