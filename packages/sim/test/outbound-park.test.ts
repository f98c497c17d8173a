/**
 * When an async outbound `socket` session parks its channel. FreeSWITCH 1.10.12's socket_function
 * waits for the session's `connect` (LFLAG_CONNECTED) before switch_ivr_park — not for the TCP
 * connect alone — so a first `myevents` parks nothing and a queued sendmsg waits; the park comes
 * once, however many `connect`s follow.
 */
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:net';
import { afterEach, it } from 'node:test';
import { Simulator } from '../src/index.js';
import { WireClient } from './listener-client.js';

const cleanup: Array<() => Promise<void> | void> = [];
void afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A simulator whose call to 8000 runs `socket … async full` to a server of ours: that session. */
async function asyncSession(before: Array<{ application: string; data: string }> = []): Promise<WireClient> {
  const server: Server = createServer();
  const session = new Promise<WireClient>((resolve) => server.once('connection', (s) => resolve(WireClient.wrap(s))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  const addr = server.address();
  const target = `127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  const actions = [...before, { application: 'socket', data: `${target} async full` }];
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, dialplan: { default: [{ name: 'sock', conditions: [{ field: 'destination_number', expression: '^8000$', actions }] }] } });
  const { port } = await sim.start();
  cleanup.push(() => sim.stop());
  const control = await WireClient.authed(port);
  cleanup.push(() => control.close());
  assert.match(await control.replyText('bgapi originate loopback/8000 &park()'), /^\+OK Job-UUID: /);
  const s = await session;
  cleanup.push(() => s.close());
  return s;
}

/** What the session gets from now to the CHANNEL_EXECUTE_COMPLETE of `log`: replies by text, events by name. */
async function untilLogDone(s: WireClient): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const f = await s.next();
    const type = f.headers.get('Content-Type') ?? '';
    const text = f.body?.toString() ?? '';
    const name = /^Event-Name: (\S+)$/m.exec(text)?.[1];
    seen.push(type === 'text/event-plain' ? name ?? '' : `${type} ${f.headers.get('Event-Name') ?? f.headers.get('Reply-Text') ?? ''}`.trim());
    if (name === 'CHANNEL_EXECUTE_COMPLETE' && /^Application: log$/m.test(text)) return seen;
  }
}

const LOG = 'sendmsg\ncall-command: execute\nexecute-app-name: log\nexecute-app-arg: INFO hello';

void it('async: a first myevents parks nothing; a queued sendmsg runs once connect has parked the channel', async () => {
  const s = await asyncSession();
  // The first command's reply is not sent (FreeSWITCH expects `connect` there).
  s.send('myevents\n\n');
  assert.equal(await s.replyText(LOG), '+OK');
  s.send('connect\n\n');
  assert.deepEqual(await untilLogDone(s), ['command/reply CHANNEL_DATA', 'CHANNEL_PARK', 'CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE']);
});

void it('async: a second connect sends the channel data again and parks nothing more', async () => {
  const s = await asyncSession();
  assert.equal((await s.command('connect')).headers.get('Event-Name'), 'CHANNEL_DATA');
  assert.equal(await s.replyText('myevents'), '+OK Events Enabled');
  s.send(`connect\n\n${LOG}\n\n`);
  assert.deepEqual(await untilLogDone(s), ['command/reply CHANNEL_DATA', 'command/reply +OK', 'CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE']);
});

void it('async: the park honours park_timeout (switch_ivr_park): the channel is hung up with its cause', async () => {
  const s = await asyncSession([{ application: 'set', data: 'park_timeout=1:USER_BUSY' }]);
  assert.equal((await s.command('connect')).headers.get('Event-Name'), 'CHANNEL_DATA');
  assert.equal(await s.replyText('myevents'), '+OK Events Enabled');
  for (;;) {
    const text = (await s.next()).body?.toString() ?? '';
    if (!/^Event-Name: CHANNEL_HANGUP$/m.test(text)) continue;
    assert.match(text, /^Hangup-Cause: USER_BUSY$/m);
    return;
  }
});
