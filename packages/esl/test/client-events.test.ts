import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslClient, EslEvent, type LogFrame, type DisconnectNoticeFrame } from '../src/index.js';
import { backgroundJob, ListenerRules } from './support/mini-fs.js';
import { bounded, eventWhere, nextEvent, ScriptedPeer, type PeerConn, type ReceivedCommand } from './support/scripted-peer.js';

type Handler = (cmd: ReceivedCommand, conn: PeerConn) => void;

async function setup(handler: Handler, options: ConstructorParameters<typeof EslClient>[0] = {}): Promise<{ peer: ScriptedPeer; client: EslClient; conn: PeerConn; done: () => Promise<void> }> {
  const peer = await ScriptedPeer.start({
    onCommand: (cmd, conn) => {
      if (cmd.line === 'exit') {
        conn.reply('+OK bye');
        conn.end();
      } else handler(cmd, conn);
    },
  });
  const client = new EslClient({ port: peer.port, reconnect: false, ...options });
  await client.connect();
  const conn = peer.connections[0]!;
  conn.skipReceived();
  return {
    peer,
    client,
    conn,
    done: async () => {
      await client.close();
      await peer.close();
    },
  };
}

function channelEvent(name: string, uuid: string, extra: Record<string, string> = {}): EslEvent {
  return new EslEvent({ 'Event-Name': name, 'Core-UUID': 'core', 'Unique-ID': uuid, ...extra });
}

void test('events are delivered by name, by CUSTOM subclass, by channel and to "event"', async () => {
  const { client, conn, done } = await setup((cmd, c) => c.reply('+OK event listener enabled plain'));
  await client.events('plain', ['CHANNEL_ANSWER', 'CUSTOM', 'sofia::register']);
  assert.equal(conn.received.at(-1)!.line, 'event plain CHANNEL_ANSWER CUSTOM sofia::register');
  const all: string[] = [];
  const answers: string[] = [];
  const customs: string[] = [];
  const mine: string[] = [];
  client.on('event', (e) => all.push(e.name));
  client.on('CHANNEL_ANSWER', (e) => answers.push(e.uuid ?? ''));
  client.on('custom::sofia::register', (e) => customs.push(e.getHeader('from-user') ?? ''));
  const onMine = (e: EslEvent): void => {
    mine.push(e.name);
  };
  client.onChannel('u1', onMine);
  const last = eventWhere<EslEvent>(client, 'event', (e) => e.getHeader('last') === 'yes');
  conn.event(channelEvent('CHANNEL_ANSWER', 'u1'));
  conn.event(channelEvent('CHANNEL_ANSWER', 'u2'), 'json');
  conn.event({ 'Event-Name': 'CUSTOM', 'Event-Subclass': 'sofia::register', 'from-user': '1000' }, 'xml');
  conn.event(channelEvent('CHANNEL_HANGUP', 'u1', { last: 'yes' }));
  await bounded(last, 'the last event');
  assert.deepEqual(all, ['CHANNEL_ANSWER', 'CHANNEL_ANSWER', 'CUSTOM', 'CHANNEL_HANGUP']);
  assert.deepEqual(answers, ['u1', 'u2']);
  assert.deepEqual(customs, ['1000']);
  assert.deepEqual(mine, ['CHANNEL_ANSWER', 'CHANNEL_HANGUP']);
  client.offChannel('u1', onMine);
  assert.equal(client.stats.eventsReceived, 4);
  await done();
});

void test('log/data frames arrive as "log"; disconnect-notice and unknown frames are surfaced', async () => {
  const { client, conn, done } = await setup((cmd, c) => c.reply(cmd.line === 'log 7' ? '+OK log level 7 [7]' : '+OK'));
  await client.log(7);
  const log = nextEvent<[LogFrame]>(client, 'log');
  conn.log('hello from the core\n', 7);
  const [frame] = await bounded(log, 'a log frame');
  assert.equal(frame.level, 7);
  assert.equal(frame.text, 'hello from the core\n');
  assert.equal(frame.line, 42);
  const notice = nextEvent<[DisconnectNoticeFrame]>(client, 'disconnect-notice');
  conn.disconnectNotice(true);
  const [n] = await bounded(notice, 'the disconnect notice');
  assert.equal(n.linger, true);
  const unknown = nextEvent<[{ contentType: string }]>(client, 'frame');
  conn.frame([['Content-Type', 'text/x-future']], 'x');
  assert.equal((await bounded(unknown, 'the unknown frame'))[0].contentType, 'text/x-future');
  await done();
});

void test('bgapi sends its own Job-UUID and subscribes BACKGROUND_JOB for itself, then restores', async () => {
  const rules = new ListenerRules();
  const { client, conn, done } = await setup((cmd, c) => {
    if (rules.handle(cmd, c)) return;
    if (cmd.line.startsWith('bgapi ')) {
      const job = cmd.headers.get('Job-UUID')!;
      c.reply(`+OK Job-UUID: ${job}`, [['Job-UUID', job]]);
      rules.send(c, backgroundJob(job, `result of ${cmd.line.slice(6)}\n`));
    }
  });
  const result = await bounded(client.bgapi('status', { jobUuid: 'job-1' }), 'bgapi');
  assert.deepEqual(result, { jobUuid: 'job-1', body: 'result of status\n' });
  const nix = await bounded(conn.nextCommand().then(() => conn.nextCommand()).then(() => conn.nextCommand()), 'restore');
  const lines = conn.received.slice(1).map((c) => c.line);
  assert.deepEqual(lines, ['event plain BACKGROUND_JOB', 'bgapi status', 'nixevent BACKGROUND_JOB']);
  assert.equal(nix.line, 'nixevent BACKGROUND_JOB');
  assert.equal(conn.received[2]!.headers.get('Job-UUID'), 'job-1');
  const generated = await bounded(client.bgapi('version'), 'bgapi without a jobUuid');
  assert.match(generated.jobUuid, /^[0-9a-f-]{36}$/);
  await done();
});

void test('bgapi resolves while a user filter is active, and leaves the user filter in place', async () => {
  const rules = new ListenerRules();
  const { client, conn, done } = await setup((cmd, c) => {
    if (rules.handle(cmd, c)) return;
    if (cmd.line.startsWith('bgapi ')) {
      const job = cmd.headers.get('Job-UUID')!;
      c.reply(`+OK Job-UUID: ${job}`, [['Job-UUID', job]]);
      rules.send(c, backgroundJob(job, '+OK done\n'));
    }
  });
  await client.events('plain', ['CHANNEL_ANSWER']);
  await client.filter('Unique-ID', 'some-call');
  conn.skipReceived();
  const result = await bounded(client.bgapi('originate loopback/7001 &park()', { jobUuid: 'job-f' }), 'bgapi under a filter');
  assert.equal(result.body, '+OK done\n');
  for (let i = 0; i < 5; i++) await bounded(conn.nextCommand(), `command ${i}`);
  assert.deepEqual(conn.received.slice(-5).map((c) => c.line), [
    'event plain BACKGROUND_JOB',
    'filter Job-UUID job-f',
    'bgapi originate loopback/7001 &park()',
    'filter delete Job-UUID job-f',
    'nixevent BACKGROUND_JOB',
  ]);
  assert.deepEqual(rules.filters, [['Unique-ID', 'some-call']]);
  assert.deepEqual([...rules.names], ['CHANNEL_ANSWER']);
  await done();
});

void test('bgapi adds nothing when the user already receives BACKGROUND_JOB unfiltered', async () => {
  const rules = new ListenerRules();
  const { client, conn, done } = await setup((cmd, c) => {
    if (rules.handle(cmd, c)) return;
    const job = cmd.headers.get('Job-UUID')!;
    c.reply(`+OK Job-UUID: ${job}`, [['Job-UUID', job]]);
    rules.send(c, backgroundJob(job, 'ok'));
  });
  await client.events('json', ['ALL']);
  const before = conn.received.length;
  await bounded(client.bgapi('status'), 'bgapi');
  assert.deepEqual(conn.received.slice(before).map((c) => c.line), ['bgapi status']);
  await done();
});

void test('execute resolves on the CHANNEL_EXECUTE_COMPLETE with our Application-UUID only', async () => {
  const rules = new ListenerRules();
  let sent: ReceivedCommand | undefined;
  const { client, conn, done } = await setup((cmd, c) => {
    if (rules.handle(cmd, c)) return;
    if (cmd.line.startsWith('sendmsg ')) {
      sent = cmd;
      c.reply('+OK');
      const uuid = cmd.line.slice(8);
      rules.send(c, channelEvent('CHANNEL_EXECUTE_COMPLETE', uuid, { Application: 'playback', 'Application-UUID': 'someone-else', 'Application-Response': 'OTHER' }));
      rules.send(c, channelEvent('CHANNEL_EXECUTE_COMPLETE', uuid, { Application: 'playback', 'Application-UUID': cmd.headers.get('event-uuid')!, 'Application-Response': 'FILE PLAYED' }));
    }
  });
  await client.events('plain', ['CHANNEL_EXECUTE_COMPLETE']);
  const complete = await bounded(client.execute('call-1', 'playback', 'tone_stream://%(100,0,440)', { eventLock: true, eventUuid: 'app-1' }), 'execute');
  assert.equal(complete.getHeader('Application-Response'), 'FILE PLAYED');
  assert.equal(complete.getHeader('Application-UUID'), 'app-1');
  assert.deepEqual([...sent!.headers], [
    ['call-command', 'execute'],
    ['execute-app-name', 'playback'],
    ['execute-app-arg', 'tone_stream://%(100,0,440)'],
    ['event-uuid', 'app-1'],
    ['event-lock', 'true'],
  ]);
  void conn;
  await done();
});

void test('execute with a multi-line argument sends it as a text/plain body; executeAsync sends async: true and resolves on the completion', async () => {
  const bodies: ReceivedCommand[] = [];
  const { client, conn, done } = await setup((cmd, c) => {
    if (cmd.line.startsWith('sendmsg')) {
      bodies.push(cmd);
      c.reply('+OK');
      if (cmd.headers.get('async') === 'true') c.event(channelEvent('CHANNEL_EXECUTE_COMPLETE', 'call-1', { Application: 'set', 'Application-UUID': cmd.headers.get('event-uuid')! }));
    } else c.reply('+OK event listener enabled plain');
  });
  const r = await bounded(client.executeAsync('call-1', 'set', 'a=1', { eventUuid: 'app-async' }), 'executeAsync');
  assert.equal(r.getHeader('Application-UUID'), 'app-async');
  assert.equal(bodies[0]!.headers.get('async'), 'true');
  const exec = client.execute('call-1', 'speak', 'line one\nline two', { timeoutMs: 30 });
  await assert.rejects(exec, /timed out/);
  while (bodies.length < 2) await bounded(conn.nextCommand(), 'the second sendmsg');
  assert.equal(bodies[1]!.headers.get('content-type'), 'text/plain');
  assert.equal(bodies[1]!.body, 'line one\nline two');
  assert.equal(bodies[1]!.headers.has('execute-app-arg'), false);
  // Leading spaces too: mod_event_socket would drop them from the header's value.
  const padded = client.execute('call-1', 'playback', '  /tmp/x.wav', { timeoutMs: 30 });
  await assert.rejects(padded, /timed out/);
  while (bodies.length < 3) await bounded(conn.nextCommand(), 'the third sendmsg');
  assert.equal(bodies[2]!.body, '  /tmp/x.wav');
  assert.equal(bodies[2]!.headers.has('execute-app-arg'), false);
  await done();
});

void test('sendevent writes the event headers and body', async () => {
  const { client, conn, done } = await setup((_cmd, c) => c.reply('+OK 1234'));
  const event = EslEvent.create('CUSTOM', 'fsbus::demo').addHeader('x-id', '7').setBody('line 1\nline 2');
  assert.equal(await client.sendevent(event), '+OK 1234');
  const cmd = conn.received.at(-1)!;
  assert.equal(cmd.line, 'sendevent CUSTOM');
  assert.equal(cmd.headers.get('Event-Subclass'), 'fsbus::demo');
  assert.equal(cmd.headers.get('x-id'), '7');
  assert.equal(cmd.body, 'line 1\nline 2');
  await done();
});

void test('the async iterator is bounded, counts drops, filters by name and channel, and ends on close', async () => {
  const { client, conn, done } = await setup((_cmd, c) => c.reply('+OK'));
  const bounded2 = client.iterate({ limit: 2 });
  const onlyHangups = client.iterate({ names: ['CHANNEL_HANGUP'], uuid: 'u1' });
  const fifth = eventWhere<EslEvent>(client, 'event', (e) => e.getHeader('n') === '5');
  for (let n = 1; n <= 5; n++) conn.event(channelEvent(n === 3 ? 'CHANNEL_HANGUP' : 'CHANNEL_ANSWER', n === 4 ? 'u2' : 'u1', { n: String(n) }));
  await bounded(fifth, 'five events');
  assert.equal(bounded2.size, 2);
  assert.equal(bounded2.dropped, 3);
  assert.equal(client.stats.droppedEvents, 3);
  const got: string[] = [];
  for await (const e of bounded2) {
    got.push(e.getHeader('n')!);
    if (got.length === 2) break;
  }
  assert.deepEqual(got, ['1', '2']);
  assert.equal((await onlyHangups.next()).value?.getHeader('n'), '3');
  const pending = onlyHangups.next();
  await done();
  assert.deepEqual(await pending, { value: undefined, done: true });
});

void test('concurrent bgapis share one self-subscription, and a user noevents does not starve them', async () => {
  const rules = new ListenerRules();
  const jobs: string[] = [];
  const { client, conn, done } = await setup((cmd, c) => {
    if (rules.handle(cmd, c)) return;
    const job = cmd.headers.get('Job-UUID')!;
    c.reply(`+OK Job-UUID: ${job}`, [['Job-UUID', job]]);
    jobs.push(job);
  });
  const a = client.bgapi('a', { jobUuid: 'job-a' });
  const b = client.bgapi('b', { jobUuid: 'job-b' });
  await bounded(conn.nextCommand().then(() => conn.nextCommand()).then(() => conn.nextCommand()), 'three commands');
  await client.noevents();
  // Both jobs finish only now: the internal subscription must have been put back after noevents.
  assert.equal((await bounded(conn.nextCommand(), 'noevents')).line, 'noevents');
  assert.equal((await bounded(conn.nextCommand(), 're-subscribe')).line, 'event plain BACKGROUND_JOB');
  assert.ok(rules.send(conn, backgroundJob('job-a', 'A')));
  assert.ok(rules.send(conn, backgroundJob('job-b', 'B')));
  assert.deepEqual(await bounded(Promise.all([a, b]), 'both jobs'), [{ jobUuid: 'job-a', body: 'A' }, { jobUuid: 'job-b', body: 'B' }]);
  await bounded(conn.nextCommand(), 'the nixevent');
  assert.deepEqual(conn.received.slice(1).map((c) => c.line), [
    'event plain BACKGROUND_JOB',
    'bgapi a',
    'bgapi b',
    'noevents',
    'event plain BACKGROUND_JOB',
    'nixevent BACKGROUND_JOB',
  ]);
  await done();
});
