/**
 * PRIVATE_COMMAND of an outbound session's own sendmsg, as FreeSWITCH 1.10.12 fires it: only
 * switch_ivr_parse_next_event (a message taken from the channel's queue) fires it. A static
 * session (no `async`) has mod_event_socket call switch_ivr_parse_event directly: no event.
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

/** A simulator whose call to 8000 runs `socket 127.0.0.1:<our port> <flags>`: the session it opens. */
async function session(flags: string): Promise<WireClient> {
  const server: Server = createServer();
  const accepted = new Promise<WireClient>((resolve) => server.once('connection', (s) => resolve(WireClient.wrap(s))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  const sim = new Simulator({
    port: 0,
    heartbeatIntervalMs: 0,
    dialplan: { default: [{ name: 'sock', conditions: [{ field: 'destination_number', expression: '^8000$', actions: [{ application: 'socket', data: `127.0.0.1:${port} ${flags}` }] }] }] },
  });
  cleanup.push(() => sim.stop());
  const control = await WireClient.authed((await sim.start()).port);
  cleanup.push(() => control.close());
  assert.match(await control.replyText('bgapi originate loopback/8000 &park()'), /^\+OK Job-UUID: /);
  const s = await accepted;
  cleanup.push(() => s.close());
  return s;
}

const eventName = (frame: { body?: Buffer | undefined }): string => /^Event-Name: (\S+)$/m.exec(frame.body?.toString() ?? '')?.[1] ?? '';
const execute = (app: string, arg = ''): string => `sendmsg\ncall-command: execute\nexecute-app-name: ${app}\nexecute-app-arg: ${arg}\n\n`;

void it('static session: its own sendmsg (answer, playback, log, hangup) runs with no PRIVATE_COMMAND', async () => {
  const s = await session('full');
  assert.equal((await s.command('connect')).headers.get('Socket-Mode'), 'static');
  // Pipelined: a static session reads the next command once the message before has run.
  s.send(`event plain ALL\n\n${execute('answer')}${execute('playback', 'tone_stream://%(100,0,350)')}${execute('log', 'INFO hi')}sendmsg\ncall-command: hangup\n\n`);
  await s.waitClosed();
  const frames = [...s.peek()];
  const replies = frames.filter((f) => f.headers.get('Content-Type') === 'command/reply').map((f) => f.headers.get('Reply-Text'));
  assert.deepEqual(replies, ['+OK event listener enabled plain', '+OK', '+OK', '+OK', '+OK']);
  const events = frames.filter((f) => f.headers.get('Content-Type') === 'text/event-plain').map(eventName);
  assert.ok(events.includes('PLAYBACK_STOP') && events.includes('CHANNEL_HANGUP'), events.join(' '));
  assert.deepEqual(events.filter((n) => n === 'PRIVATE_COMMAND'), [], 'switch_ivr_parse_event fires none');
});

void it('async session: its queued sendmsg fires PRIVATE_COMMAND once parsed (channel answered)', async () => {
  const s = await session('async full');
  assert.equal((await s.command('connect')).headers.get('Socket-Mode'), 'async');
  assert.equal(await s.replyText('event plain ALL'), '+OK event listener enabled plain');
  s.send(execute('answer'));
  const seen: string[] = [];
  const until = async (name: string): Promise<void> => {
    for (;;) {
      const f = await s.next();
      if (f.headers.get('Content-Type') !== 'text/event-plain') continue;
      seen.push(eventName(f));
      if (eventName(f) === name) return;
    }
  };
  await until('CHANNEL_ANSWER');
  s.send(execute('log', 'INFO hi'));
  await until('PRIVATE_COMMAND');
  assert.deepEqual(seen.slice(-3), ['CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'PRIVATE_COMMAND']);
});
