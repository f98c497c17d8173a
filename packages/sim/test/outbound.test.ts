import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { Simulator } from '../src/index.js';
import { WireClient } from './listener-client.js';

const GOODBYE = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

/** An outbound ESL server on port 0 that hands over the first connection it gets. */
async function outboundServer(): Promise<{ server: Server; port: number; session: Promise<WireClient> }> {
  const server = createServer();
  const session = new Promise<WireClient>((resolve) => server.once('connection', (s) => resolve(WireClient.wrap(s))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr !== null ? addr.port : 0, session };
}

function socketDialplan(data: string): NonNullable<ConstructorParameters<typeof Simulator>[0]>['dialplan'] {
  return {
    default: [
      { name: 'sock', conditions: [{ field: 'destination_number', expression: '^8000$', actions: [{ application: 'socket', data }] }] },
      { name: 'park', conditions: [{ field: 'destination_number', expression: '^8001$', actions: [{ application: 'answer' }, { application: 'park' }] }] },
    ],
  };
}

void describe('outbound socket sessions', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  void afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  /** A simulator whose call to 8000 runs `socket` (static, single-channel) to a server of ours: that session. */
  const singleChannelSession = async (): Promise<WireClient> => {
    const out = await outboundServer();
    cleanup.push(() => new Promise<void>((r) => out.server.close(() => r())));
    const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, dialplan: socketDialplan(`127.0.0.1:${out.port}`) });
    const { port } = await sim.start();
    cleanup.push(() => sim.stop());
    const control = await WireClient.authed(port);
    cleanup.push(() => control.close());
    assert.match(await control.replyText('bgapi originate loopback/8000 &park()'), /^\+OK Job-UUID: /);
    const s = await out.session;
    cleanup.push(() => s.close());
    return s;
  };

  void it('single-channel mode: connect reply, full-only commands refused, goodbye after hangup', async () => {
    const s = await singleChannelSession();
    const connect = await s.command('connect');
    const keys = [...connect.headers.keys()];
    assert.equal(keys[0], 'Event-Name');
    assert.deepEqual(keys.slice(-4), ['Content-Type', 'Reply-Text', 'Socket-Mode', 'Control']);
    assert.equal(connect.headers.get('Event-Name'), 'CHANNEL_DATA');
    assert.equal(connect.headers.get('Reply-Text'), '+OK\n');
    assert.equal(connect.headers.get('Socket-Mode'), 'static');
    assert.equal(connect.headers.get('Control'), 'single-channel');
    const uuid = connect.headers.get('Unique-ID') ?? '';
    assert.match(uuid, /^[0-9a-f-]{36}$/);

    assert.equal(await s.replyText('api status'), '-ERR command not found');
    assert.equal(await s.replyText('linger'), '-ERR command not found');
    assert.equal(await s.replyText('getvar no_such_variable_here'), '-ERR command not found');
    assert.equal(await s.replyText('getvar uuid'), uuid);
    assert.equal(await s.replyText('myevents'), '+OK Events Enabled');
    assert.equal(await s.replyText('myevents'), '-ERR aready enabled.');
    assert.equal(await s.replyText('divert_events off'), '+OK events not diverted');
    assert.equal(await s.replyText('sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING'), '+OK');

    const notice = await s.nextOfType('text/disconnect-notice');
    assert.deepEqual([...notice.headers], [
      ['Content-Type', 'text/disconnect-notice'],
      ['Controlled-Session-UUID', uuid],
      ['Content-Disposition', 'disconnect'],
      ['Content-Length', '67'],
    ]);
    assert.equal(notice.body?.toString(), GOODBYE);
    await s.waitClosed();
  });

  void it("static mode runs its own channel's sendmsg inline: the reply comes once the application has run; `async: true` queues it for after the session", async () => {
    const s = await singleChannelSession();
    assert.equal((await s.command('connect')).headers.get('Socket-Mode'), 'static');
    assert.equal(await s.replyText('sendmsg\ncall-command: execute\nexecute-app-name: answer'), '+OK');

    // Pipelined: the getvar is read once the sendmsg has been answered.
    const play = 'sendmsg\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: tone_stream://%(200,0,440)\n';
    s.send(`${play}\ngetvar current_application_response\n\n`);
    assert.equal((await s.next()).headers.get('Reply-Text'), '+OK');
    assert.equal((await s.next()).headers.get('Reply-Text'), 'FILE PLAYED', 'the playback had run when the +OK came');
    // Queued as a private event, which nothing parses while listener_run holds the channel's thread.
    s.send('sendmsg\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: queued=1\nasync: true\n\ngetvar queued\n\n');
    assert.equal((await s.next()).headers.get('Reply-Text'), '+OK');
    assert.equal((await s.next()).headers.get('Reply-Text'), '-ERR command not found', 'queued: not run');

    assert.equal(await s.replyText('sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING'), '+OK');
    await s.nextOfType('text/disconnect-notice');
    await s.waitClosed();
  });

  /** A static (no `async`) session with `data` flags, an inbound listener beside it, and the controlled uuid. */
  const staticSession = async (flags: string, inboundEvents: string): Promise<{ s: WireClient; control: WireClient; uuid: string }> => {
    const out = await outboundServer();
    cleanup.push(() => new Promise<void>((r) => out.server.close(() => r())));
    const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, dialplan: socketDialplan(`127.0.0.1:${out.port} ${flags}`.trim()) });
    const { port } = await sim.start();
    cleanup.push(() => sim.stop());
    const control = await WireClient.authed(port);
    cleanup.push(() => control.close());
    assert.equal(await control.replyText(`event plain ${inboundEvents}`), '+OK event listener enabled plain');
    await control.replyText('bgapi originate loopback/8000 &park()');
    const s = await out.session;
    cleanup.push(() => s.close());
    const connect = await s.command('connect');
    assert.equal(connect.headers.get('Socket-Mode'), 'static');
    return { s, control, uuid: connect.headers.get('Unique-ID') ?? '' };
  };
  const eventName = (frame: { body?: Buffer | undefined }): string | undefined => /^Event-Name: (\S+)$/m.exec(frame.body?.toString() ?? '')?.[1];
  const applicationOf = (frame: { body?: Buffer | undefined }): string | undefined => /^Application: (\S+)$/m.exec(frame.body?.toString() ?? '')?.[1];

  void it('static mode, hangup: +OK, CHANNEL_HANGUP, goodbye — the rest of the hangup only once the session is over', async () => {
    const { s, control, uuid } = await staticSession('', 'CHANNEL_HANGUP CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP_COMPLETE');
    assert.equal(await s.replyText('myevents'), '+OK Events Enabled');
    assert.equal(await s.replyText('sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING'), '+OK');
    const seen: string[] = [];
    for (;;) {
      const f = await s.next();
      const type = f.headers.get('Content-Type');
      if (type === 'text/disconnect-notice') {
        assert.equal(f.headers.get('Content-Disposition'), 'disconnect');
        assert.equal(f.body?.toString(), GOODBYE);
        break;
      }
      seen.push(eventName(f) ?? String(type));
    }
    // socket_function runs listener_run on the channel's thread: it returns (CHANNEL_EXECUTE_COMPLETE)
    // and the state machine reaches CS_HANGUP only after the goodbye.
    assert.deepEqual(seen, ['CHANNEL_HANGUP']);
    await s.waitClosed();
    const after: string[] = [];
    while (!after.includes('CHANNEL_HANGUP_COMPLETE')) {
      const f = await control.next();
      if (f.headers.get('Content-Type') === 'text/event-plain' && /^Unique-ID: (\S+)$/m.exec(f.body?.toString() ?? '')?.[1] === uuid) {
        after.push(`${eventName(f) ?? ''}${applicationOf(f) === undefined ? '' : `(${applicationOf(f) ?? ''})`}`);
      }
    }
    assert.deepEqual(after, ['CHANNEL_HANGUP', 'CHANNEL_EXECUTE_COMPLETE(socket)', 'CHANNEL_HANGUP_COMPLETE']);
  });

  void it('static mode with linger: the linger notice, then nothing of the channel until the session ends', async () => {
    const { s, control, uuid } = await staticSession('full', 'CHANNEL_HANGUP CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP_COMPLETE CUSTOM fsbus::marker');
    assert.equal(await s.replyText('linger'), '+OK will linger');
    assert.equal(await s.replyText('myevents'), '+OK Events Enabled');
    assert.equal(await s.replyText('sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING'), '+OK');
    assert.equal(eventName(await s.next()), 'CHANNEL_HANGUP');
    const linger = await s.next();
    assert.equal(linger.headers.get('Content-Type'), 'text/disconnect-notice');
    assert.equal(linger.headers.get('Content-Disposition'), 'linger');
    // Still served, and still nothing more of the channel: its thread is in this session.
    assert.match(await s.replyText('sendevent CUSTOM\nEvent-Subclass: fsbus::marker'), /^\+OK /);
    assert.equal(s.buffered, 0);
    const beforeExit: string[] = [];
    for (;;) {
      const f = await control.nextOfType('text/event-plain');
      const name = eventName(f) ?? '';
      if (name === 'CUSTOM') break;
      if (/^Unique-ID: (\S+)$/m.exec(f.body?.toString() ?? '')?.[1] === uuid) beforeExit.push(name);
    }
    assert.deepEqual(beforeExit, ['CHANNEL_HANGUP']);
    assert.equal(await s.replyText('exit'), '+OK bye');
    assert.equal((await s.next()).headers.get('Content-Disposition'), 'disconnect');
    await s.waitClosed();
    const after: string[] = [];
    while (!after.includes('CHANNEL_HANGUP_COMPLETE()')) {
      const f = await control.nextOfType('text/event-plain');
      if (/^Unique-ID: (\S+)$/m.exec(f.body?.toString() ?? '')?.[1] === uuid) after.push(`${eventName(f) ?? ''}(${applicationOf(f) ?? ''})`);
    }
    assert.deepEqual(after, ['CHANNEL_EXECUTE_COMPLETE(socket)', 'CHANNEL_HANGUP_COMPLETE()']);
  });

  void it("static mode: messages queued from elsewhere wait while the session holds the channel; the session's own run at once", async () => {
    const { s, control, uuid } = await staticSession('', 'CHANNEL_HANGUP');
    const set = (v: string): string => `call-command: execute\nexecute-app-name: set\nexecute-app-arg: ${v}`;
    assert.equal(await control.replyText(`sendmsg ${uuid}\n${set('from_inbound=1')}`), '+OK');
    assert.match((await control.command(`api uuid_broadcast ${uuid} set::from_broadcast=1 aleg`)).body?.toString() ?? '', /^\+OK/);
    assert.equal(await s.replyText(`sendmsg\n${set('from_socket=1')}`), '+OK');
    assert.equal(await s.replyText('getvar from_socket'), '1');
    assert.equal(await s.replyText('getvar from_inbound'), '-ERR command not found', 'not run while the static socket holds the thread');
    assert.equal(await s.replyText('getvar from_broadcast'), '-ERR command not found');
    assert.equal(await s.replyText('sendmsg\ncall-command: hangup'), '+OK');
    await s.nextOfType('text/disconnect-notice');
  });

  // mod_event_socket never hangs the channel up: socket_function returns and
  // switch_core_standard_on_execute runs the next application (or, after the last one, hangs up
  // with NORMAL_CLEARING).
  for (const flags of ['async full', '']) {
    void it(`a session that ends with the channel up returns to the dialplan (${flags === '' ? 'static' : flags})`, async () => {
      const out = await outboundServer();
      cleanup.push(() => new Promise<void>((r) => out.server.close(() => r())));
      const actions = [{ application: 'socket', data: `127.0.0.1:${out.port} ${flags}`.trim() }, { application: 'hangup', data: 'CALL_REJECTED' }];
      const dialplan = { default: [{ name: 'sock', conditions: [{ field: 'destination_number', expression: '^8000$', actions }] }] };
      const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, dialplan });
      const { port } = await sim.start();
      cleanup.push(() => sim.stop());
      const control = await WireClient.authed(port);
      cleanup.push(() => control.close());
      assert.equal(await control.replyText('event plain CHANNEL_EXECUTE CHANNEL_HANGUP'), '+OK event listener enabled plain');
      await control.replyText('bgapi originate loopback/8000 &park()');
      const s = await out.session;
      cleanup.push(() => s.close());
      const uuid = (await s.command('connect')).headers.get('Unique-ID') ?? '';
      assert.equal(await s.replyText('exit'), '+OK bye');
      await s.waitClosed();
      const seen: string[] = [];
      while (!seen.some((e) => e.startsWith('CHANNEL_HANGUP'))) {
        const f = await control.nextOfType('text/event-plain');
        const text = f.body?.toString() ?? '';
        if (/^Unique-ID: (\S+)$/m.exec(text)?.[1] !== uuid) continue;
        const cause = /^Hangup-Cause: (\S+)$/m.exec(text)?.[1];
        seen.push(`${eventName(f) ?? ''}(${eventName(f) === 'CHANNEL_HANGUP' ? cause ?? '' : applicationOf(f) ?? ''})`);
      }
      assert.deepEqual(seen.slice(-2), ['CHANNEL_EXECUTE(hangup)', 'CHANNEL_HANGUP(CALL_REJECTED)']);
    });
  }

  void it('a session that ends with the channel up after the last application: NORMAL_CLEARING', async () => {
    const { s, control, uuid } = await staticSession('', 'CHANNEL_HANGUP');
    assert.equal(await s.replyText('exit'), '+OK bye');
    for (;;) {
      const text = (await control.nextOfType('text/event-plain')).body?.toString() ?? '';
      if (/^Unique-ID: (\S+)$/m.exec(text)?.[1] !== uuid) continue;
      assert.equal(/^Hangup-Cause: (\S+)$/m.exec(text)?.[1], 'NORMAL_CLEARING');
      break;
    }
  });

  void it('stop() ends a live outbound session with the shutdown notice', async () => {
    const out = await outboundServer();
    cleanup.push(() => new Promise<void>((r) => out.server.close(() => r())));
    const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, dialplan: socketDialplan(`127.0.0.1:${out.port} async full`) });
    const { port } = await sim.start();
    const control = await WireClient.authed(port);
    cleanup.push(() => control.close());
    await control.replyText('bgapi originate loopback/8000 &park()');
    const s = await out.session;
    cleanup.push(() => s.close());
    await s.command('connect');
    assert.equal(await s.replyText('linger'), '+OK will linger');
    await sim.stop();
    const notice = await s.nextOfType('text/disconnect-notice');
    assert.equal(notice.headers.get('Content-Disposition'), 'disconnect');
    assert.equal(notice.body?.toString(), 'The system is being shut down.\n');
    await s.waitClosed();
  });

  void it('says goodbye to a server that sends no command in time', async () => {
    const out = await outboundServer();
    cleanup.push(() => new Promise<void>((r) => out.server.close(() => r())));
    const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, firstCommandTimeoutMs: 50, dialplan: socketDialplan(`127.0.0.1:${out.port} async full`) });
    const { port } = await sim.start();
    cleanup.push(() => sim.stop());
    const control = await WireClient.authed(port);
    cleanup.push(() => control.close());
    await control.replyText('bgapi originate loopback/8000 &park()');
    const s = await out.session;
    const notice = await s.next();
    assert.equal(notice.headers.get('Content-Type'), 'text/disconnect-notice');
    assert.equal(notice.headers.get('Content-Disposition'), 'disconnect');
    await s.waitClosed();
  });

  void it('dials the --outbound target instead of the dialplan one, in full mode with linger', async () => {
    const out = await outboundServer();
    cleanup.push(() => new Promise<void>((r) => out.server.close(() => r())));
    const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, outbound: `127.0.0.1:${out.port}`, dialplan: socketDialplan('127.0.0.1:1 async full') });
    const { port } = await sim.start();
    cleanup.push(() => sim.stop());
    const control = await WireClient.authed(port);
    cleanup.push(() => control.close());
    await control.replyText('bgapi originate loopback/8000 &park()');
    const s = await out.session;
    cleanup.push(() => s.close());
    const connect = await s.command('connect');
    assert.equal(connect.headers.get('Socket-Mode'), 'async');
    assert.equal(connect.headers.get('Control'), 'full');
    assert.equal(await s.replyText('linger'), '+OK will linger');
    assert.equal(await s.replyText('nolinger'), '+OK will not linger');
    assert.equal(await s.replyText('linger 30'), '+OK will linger 30 seconds');
    assert.equal(await s.replyText('linger'), '+OK will linger');
    assert.equal((await s.command('api echo full')).body?.toString(), 'full');
    assert.equal(await s.replyText('resume'), '+OK');
    assert.equal(await s.replyText('sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING'), '+OK');
    const linger = await s.nextOfType('text/disconnect-notice');
    assert.equal(linger.headers.get('Content-Disposition'), 'linger');
    assert.equal(linger.headers.get('Linger-Time'), '-1');
    assert.equal(linger.headers.get('Channel-Name'), 'loopback/8000-b');
    assert.equal(await s.replyText('exit'), '+OK bye');
    const bye = await s.next();
    assert.equal(bye.headers.get('Content-Disposition'), 'disconnect');
    await s.waitClosed();
  });
});
