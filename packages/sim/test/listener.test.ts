import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { fsUrlDecode } from '@fsbus/esl';
import { Simulator } from '../src/index.js';
import { WireClient, plainHeaderNames } from './listener-client.js';

const GOODBYE = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

async function sendEvent(client: WireClient, subclass: string, extra: Record<string, string> = {}, body?: string): Promise<string> {
  let text = `sendevent CUSTOM\nEvent-Subclass: ${subclass}\n`;
  for (const [n, v] of Object.entries(extra)) text += `${n}: ${v}\n`;
  if (body !== undefined) text += `Content-Type: text/plain\nContent-Length: ${Buffer.byteLength(body)}\n`;
  client.send(`${text}\n${body ?? ''}`);
  const reply = (await client.next()).headers.get('Reply-Text') ?? '';
  assert.match(reply, /^\+OK [0-9a-f-]{36}$/);
  return reply.slice(4);
}

function headerOf(body: Buffer | undefined, name: string): string | undefined {
  const line = (body?.toString('utf8') ?? '').split('\n').find((l) => l.startsWith(`${name}: `));
  return line === undefined ? undefined : fsUrlDecode(line.slice(name.length + 2));
}

void describe('inbound listener', () => {
  let sim: Simulator;
  let port: number;

  void before(async () => {
    sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, users: [{ user: '1000', domain: 'example.com', password: 'pw', allowedApi: ['status'] }] });
    ({ port } = await sim.start());
  });
  void after(() => sim.stop());

  void it('greets with auth/request and accepts the password, byte for byte', async () => {
    const c = await WireClient.connect(port);
    await c.next();
    await c.command('auth ClueCon');
    assert.equal(Buffer.concat(c.raw).toString(), 'Content-Type: auth/request\n\nContent-Type: command/reply\nReply-Text: +OK accepted\n\n');
    c.close();
  });

  void it('answers a bad password with -ERR invalid, the goodbye notice, then closes', async () => {
    const c = await WireClient.connect(port);
    await c.next();
    assert.equal(await c.replyText('auth wrong'), '-ERR invalid');
    const notice = await c.next();
    assert.deepEqual([...notice.headers], [['Content-Type', 'text/disconnect-notice'], ['Content-Length', '67']]);
    assert.equal(notice.body?.toString(), GOODBYE);
    await c.waitClosed();
  });

  void it('refuses commands before auth but keeps the connection, and honours exit', async () => {
    const c = await WireClient.connect(port);
    await c.next();
    assert.equal(await c.replyText('api status'), '-ERR command not found');
    assert.equal(await c.replyText('event plain ALL'), '-ERR command not found');
    assert.equal(await c.replyText('auth ClueCon'), '+OK accepted');
    assert.equal(await c.replyText('exit'), '+OK bye');
    assert.equal((await c.next()).body?.toString(), GOODBYE);
    await c.waitClosed();
  });

  void it('userauth: the Allowed-* headers, api permissions, and refusal', async () => {
    const c = await WireClient.connect(port);
    await c.next();
    const reply = await c.command('userauth 1000@example.com:pw');
    assert.deepEqual([...reply.headers], [
      ['Content-Type', 'command/reply'],
      ['Reply-Text', '+OK accepted'],
      ['Allowed-Events', 'all'],
      ['Allowed-API', 'status'],
      ['Allowed-LOG', 'true'],
    ]);
    assert.equal(await c.replyText('api version'), '-ERR permission denied');
    assert.equal((await c.command('api status')).headers.get('Content-Type'), 'api/response');
    c.close();
    const bad = await WireClient.connect(port);
    await bad.next();
    assert.equal(await bad.replyText('userauth 1000@example.com:nope'), '-ERR invalid');
    await bad.waitClosed();
  });

  void it('bgapi: the reply carries Job-UUID, the result comes as BACKGROUND_JOB after it', async () => {
    const c = await WireClient.authed(port);
    assert.equal(await c.replyText('event plain BACKGROUND_JOB'), '+OK event listener enabled plain');
    c.send('bgapi echo own id\nJob-UUID: 11111111-2222-3333-4444-555555555555\n\n');
    const reply = await c.next();
    assert.deepEqual([...reply.headers], [
      ['Content-Type', 'command/reply'],
      ['Reply-Text', '+OK Job-UUID: 11111111-2222-3333-4444-555555555555'],
      ['Job-UUID', '11111111-2222-3333-4444-555555555555'],
    ]);
    const job = await c.next();
    assert.deepEqual([...job.headers.keys()], ['Content-Length', 'Content-Type']);
    assert.equal(headerOf(job.body, 'Job-UUID'), '11111111-2222-3333-4444-555555555555');
    assert.ok(job.body?.toString().endsWith('Content-Length: 6\n\nown id'));
    c.close();
  });

  void it("bgapi: a client Job-UUID is cut to 36 characters (FreeSWITCH's char[37]); an empty one gets a fresh uuid", async () => {
    const c = await WireClient.authed(port);
    c.send(`bgapi echo long\nJob-UUID: 11111111-2222-3333-4444-555555555555-and-more\n\n`);
    assert.equal((await c.next()).headers.get('Reply-Text'), '+OK Job-UUID: 11111111-2222-3333-4444-555555555555');
    c.send('bgapi echo empty\nJob-UUID: \n\n');
    assert.match((await c.next()).headers.get('Reply-Text') ?? '', /^\+OK Job-UUID: [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    c.close();
  });

  void it('CUSTOM subclasses accumulate across event commands and nixevent removes them', async () => {
    const listener = await WireClient.authed(port);
    const sender = await WireClient.authed(port);
    assert.equal(await listener.replyText('event plain CUSTOM fsbus::a'), '+OK event listener enabled plain');
    await sendEvent(sender, 'fsbus::b');
    const a1 = await sendEvent(sender, 'fsbus::a');
    assert.equal(headerOf((await listener.next()).body, 'Event-UUID'), a1, 'fsbus::b must not be delivered');
    assert.equal(await listener.replyText('event plain CUSTOM fsbus::b'), '+OK event listener enabled plain');
    const b1 = await sendEvent(sender, 'fsbus::b');
    assert.equal(headerOf((await listener.next()).body, 'Event-UUID'), b1);
    assert.equal(await listener.replyText('nixevent CUSTOM fsbus::a'), '+OK events nixed');
    await sendEvent(sender, 'fsbus::a');
    const b2 = await sendEvent(sender, 'fsbus::b');
    assert.equal(headerOf((await listener.next()).body, 'Event-UUID'), b2, 'fsbus::a must be gone');
    assert.equal(await listener.replyText('event plain NO_SUCH_EVENT'), '-ERR no keywords supplied');
    assert.equal(await listener.replyText('noevents'), '+OK no longer listening for events');
    assert.equal(await listener.replyText('noevents'), '-ERR not listening for events');
    listener.close();
    sender.close();
  });

  void it('sendevent with an unknown name arrives as a nameless CUSTOM, which every CUSTOM listener takes', async () => {
    const listener = await WireClient.authed(port);
    const sender = await WireClient.authed(port);
    assert.equal(await listener.replyText('event plain CUSTOM fsbus::only'), '+OK event listener enabled plain');
    sender.send('sendevent NO_SUCH_EVENT\nEvent-Subclass: fsbus::other\n\n');
    const id = ((await sender.next()).headers.get('Reply-Text') ?? '').slice(4);
    const got = (await listener.next()).body;
    assert.equal(headerOf(got, 'Event-UUID'), id);
    assert.equal(headerOf(got, 'Event-Name'), 'CUSTOM');
    assert.deepEqual(plainHeaderNames(got).slice(0, 3), ['Command', 'Event-Subclass', 'Event-UUID']);
    listener.close();
    sender.close();
  });

  void it('filter with an empty value adds no filter and drops those on the header; filter delete with one drops all', async () => {
    const listener = await WireClient.authed(port);
    const sender = await WireClient.authed(port);
    await listener.replyText('event plain CUSTOM fsbus::e');
    assert.equal(await listener.replyText('filter X-Tag one'), '+OK filter added. [X-Tag]=[one]');
    assert.equal(await listener.replyText('filter X-Tag '), '+OK filter added. [X-Tag]=[]');
    const untagged = await sendEvent(sender, 'fsbus::e');
    assert.equal(headerOf((await listener.next()).body, 'Event-UUID'), untagged, 'no filter is left');
    assert.equal(await listener.replyText('filter X-Tag one'), '+OK filter added. [X-Tag]=[one]');
    assert.equal(await listener.replyText('filter add X-Tag two'), '+OK filter added. [X-Tag]=[two]');
    assert.equal(await listener.replyText('filter delete X-Tag '), '+OK filter deleted. [X-Tag][]');
    const again = await sendEvent(sender, 'fsbus::e');
    assert.equal(headerOf((await listener.next()).body, 'Event-UUID'), again, 'both filters are gone');
    listener.close();
    sender.close();
  });

  void it('inbound myevents <uuid> holds the channel: CHANNEL_DESTROY only once that listener has gone', async () => {
    const uuid = 'abcdef00-1111-4222-8333-444444444444';
    const watcher = await WireClient.authed(port);
    assert.equal(await watcher.replyText('event plain CHANNEL_DESTROY'), '+OK event listener enabled plain');
    await watcher.replyText(`filter Unique-ID ${uuid}`);
    const reply = await watcher.command(`api originate {origination_uuid=${uuid}}loopback/7001 &park()`);
    assert.equal(reply.body?.toString(), `+OK ${uuid}\n`);
    const mine = await WireClient.authed(port);
    assert.equal(await mine.replyText(`myevents ${uuid}`), '+OK Events Enabled');
    assert.equal(await mine.replyText('linger'), '+OK will linger');
    await watcher.command(`api uuid_kill ${uuid}`);
    await mine.nextOfType('text/disconnect-notice');
    // The hung-up channel waits for the read lock of the lingering listener (listed, though no
    // longer found by uuid: its hangup has begun).
    assert.ok((await sim.core.api('show', 'channels')).includes(uuid));
    assert.equal(sim.core.hasChannel(uuid), false);
    assert.equal(await mine.replyText('exit'), '+OK bye');
    await mine.waitClosed();
    const destroyed = await watcher.next();
    assert.equal(headerOf(destroyed.body, 'Event-Name'), 'CHANNEL_DESTROY');
    assert.equal(headerOf(destroyed.body, 'Unique-ID'), uuid);
    const seen = Buffer.concat(mine.raw).toString();
    assert.equal(seen.includes('Event-Name: CHANNEL_HANGUP_COMPLETE'), true);
    assert.equal(seen.includes('Event-Name: CHANNEL_DESTROY'), false);
    watcher.close();
  });

  void it('filters: positive OR, negative wins, /regex/, events lacking the header dropped', async () => {
    const listener = await WireClient.authed(port);
    const sender = await WireClient.authed(port);
    await listener.replyText('event plain CUSTOM fsbus::f');
    assert.equal(await listener.replyText('filter X-Tag one'), '+OK filter added. [X-Tag]=[one]');
    assert.equal(await listener.replyText('filter X-Tag /^ab+c$/'), '+OK filter added. [X-Tag]=[/^ab+c$/]');
    assert.equal(await listener.replyText('filter X-Kind -bad'), '+OK filter added. [X-Kind]=[-bad]');
    await sendEvent(sender, 'fsbus::f'); // lacks X-Tag
    await sendEvent(sender, 'fsbus::f', { 'X-Tag': 'two' });
    await sendEvent(sender, 'fsbus::f', { 'X-Tag': 'one', 'X-Kind': 'bad' });
    const one = await sendEvent(sender, 'fsbus::f', { 'X-Tag': 'ONE' });
    const abc = await sendEvent(sender, 'fsbus::f', { 'X-Tag': 'abbbc' });
    assert.equal(headerOf((await listener.next()).body, 'Event-UUID'), one);
    assert.equal(headerOf((await listener.next()).body, 'Event-UUID'), abc);
    assert.equal(await listener.replyText('filter delete X-Tag one'), '+OK filter deleted. [X-Tag][one]');
    assert.equal(await listener.replyText('filter delete all'), '+OK filter deleted. [all][]');
    const any = await sendEvent(sender, 'fsbus::f');
    assert.equal(headerOf((await listener.next()).body, 'Event-UUID'), any);
    assert.equal(await listener.replyText('filter Unique-ID'), '-ERR invalid syntax');
    listener.close();
    sender.close();
  });

  void it('writes the three encodings as FreeSWITCH frames them', async () => {
    const sender = await WireClient.authed(port);
    const body = 'line1\nline2\n';
    const frames: Record<string, Buffer | undefined> = {};
    const listeners = await Promise.all(['plain', 'json', 'xml'].map(async (fmt) => {
      const c = await WireClient.authed(port);
      assert.equal(await c.replyText(`event ${fmt} CUSTOM fsbus::enc`), `+OK event listener enabled ${fmt}`);
      return [fmt, c] as const;
    }));
    const id = await sendEvent(sender, 'fsbus::enc', { 'X-Note': 'two words' }, body);
    for (const [fmt, c] of listeners) {
      const frame = await c.next();
      assert.deepEqual([...frame.headers], [['Content-Length', String(frame.body?.length)], ['Content-Type', `text/event-${fmt}`]]);
      frames[fmt] = frame.body;
      c.close();
    }
    const plain = frames['plain']!.toString();
    assert.deepEqual(plainHeaderNames(frames['plain']).slice(0, 5), ['Event-Subclass', 'Command', 'X-Note', 'Content-Type', 'Content-Length']);
    assert.ok(plain.includes('X-Note: two%20words\n'));
    assert.ok(plain.endsWith(`Content-Length: 12\n\n${body}`));
    const json = JSON.parse(frames['json']!.toString()) as Record<string, string>;
    assert.equal(json['Event-UUID'], id);
    assert.equal(json['X-Note'], 'two words');
    assert.equal(json['_body'], body);
    const xml = frames['xml']!.toString();
    assert.ok(xml.startsWith('<event>\n  <headers>\n    <Event-Subclass>fsbus%3A%3Aenc</Event-Subclass>\n'));
    assert.ok(xml.endsWith('  <Content-Length>12</Content-Length>\n  <body>line1\nline2\n  </body>\n</event>\n'));
    sender.close();
  });

  void it('inbound-only texts: myevents, getvar, resume, linger, divert_events, sendmsg', async () => {
    const c = await WireClient.authed(port);
    assert.equal(await c.replyText('myevents'), '-ERR command not found');
    assert.equal(await c.replyText('getvar foo'), '-ERR command not found');
    assert.equal(await c.replyText('resume'), '-ERR command not found');
    assert.equal(await c.replyText('linger'), '-ERR not controlling a session');
    assert.equal(await c.replyText('nolinger'), '-ERR not controlling a session');
    assert.equal(await c.replyText('divert_events on'), '-ERR not controlling a session.');
    assert.equal(await c.replyText('sendmsg'), '-ERR invalid session id []');
    assert.equal(await c.replyText('log 7'), '+OK log level 7 [7]');
    assert.equal(await c.replyText('log debug'), '+OK log level debug [7]');
    assert.equal(await c.replyText('log nonsense'), '-ERR invalid log level');
    assert.equal(await c.replyText('nolog'), '+OK no longer logging');
    assert.equal(await c.replyText('nolog'), '-ERR not loging');
    c.close();
  });
});

void describe('inbound listener limits', () => {
  void it('closes a connection that sends no command in time, with the goodbye notice', async () => {
    const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, firstCommandTimeoutMs: 50 });
    const { port } = await sim.start();
    try {
      const c = await WireClient.connect(port);
      assert.equal((await c.next()).headers.get('Content-Type'), 'auth/request');
      const notice = await c.next();
      assert.equal(notice.headers.get('Content-Type'), 'text/disconnect-notice');
      assert.equal(notice.body?.toString(), GOODBYE);
      await c.waitClosed();
    } finally {
      await sim.stop();
    }
  });

  void it('rejects addresses outside the ACL with text/rude-rejection', async () => {
    const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, acl: ['10.0.0.0/8'] });
    const { port } = await sim.start();
    try {
      const c = await WireClient.connect(port);
      const frame = await c.next();
      assert.deepEqual([...frame.headers], [['Content-Type', 'text/rude-rejection'], ['Content-Length', '24']]);
      assert.equal(frame.body?.toString(), 'Access Denied, go away.\n');
      assert.equal((await c.next()).headers.get('Content-Type'), 'text/disconnect-notice');
      await c.waitClosed();
    } finally {
      await sim.stop();
    }
  });

  void it('counts lost events, logs them like FreeSWITCH 1.10.12, and kills a listener that keeps missing', async () => {
    const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, eventQueueLimit: 3, maxMissedEvents: 2 });
    const { port } = await sim.start();
    try {
      const listener = await WireClient.authed(port);
      const sender = await WireClient.authed(port);
      await listener.replyText('event plain CUSTOM fsbus::q');
      await listener.replyText('log 2');
      sim.control.pauseEvents();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await sendEvent(sender, 'fsbus::q'));
      sim.control.resumeEvents();
      // Paused, the listener wrote nothing: its log lines come first, then the three queued events.
      for (let i = 0; i < 2; i++) {
        const error = await listener.next();
        assert.equal(error.headers.get('Content-Type'), 'log/data');
        assert.match(error.body?.toString() ?? '', / \[CRIT\] mod_event_socket\.c:397 Event enqueue ERROR \[11\] \| \[Resource temporarily unavailable\] \| Queue size: \[3\/3\] Max queue size reached\n$/);
      }
      for (const id of ids.slice(0, 3)) assert.equal(headerOf((await listener.next()).body, 'Event-UUID'), id);
      const next = await sendEvent(sender, 'fsbus::q');
      const frames = [await listener.next(), await listener.next()];
      const lost = frames.find((f) => f.headers.get('Content-Type') === 'log/data');
      const delivered = frames.find((f) => f.headers.get('Content-Type') === 'text/event-plain');
      assert.match(lost?.body?.toString() ?? '', / \[CRIT\] mod_event_socket\.c:392 Lost \[2\] events! Event Queue size: \[1\/3\]\n$/);
      assert.equal(headerOf(delivered?.body, 'Event-UUID'), next);
      sim.control.pauseEvents();
      for (let i = 0; i < 6; i++) await sendEvent(sender, 'fsbus::q');
      await listener.waitClosed();
      assert.ok(Buffer.concat(listener.raw).toString().endsWith('Content-Type: text/disconnect-notice\nContent-Length: 39\n\nkilled listener because of lost events\n'));
      sim.control.resumeEvents();
      sender.close();
    } finally {
      await sim.stop();
    }
  });
});
