/**
 * Applications on a hung-up channel, as switch_core_session_execute_application_get_flags runs
 * them (FreeSWITCH 1.10.12): only those with SAF_ZOMBIE_EXEC (set, export …) run; any other is
 * refused with a debug line and no event, an unknown name is refused in silence (no hangup).
 * Seen through a static outbound session with linger, whose own sendmsg runs inline.
 */
import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import { afterEach, it } from 'node:test';
import { Simulator } from '../src/index.js';
import { WireClient } from './listener-client.js';

const cleanup: Array<() => Promise<void> | void> = [];
void afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function staticLingeringSession(): Promise<{ s: WireClient; control: WireClient; uuid: string }> {
  const server = createServer();
  const accepted = new Promise<WireClient>((resolve) => server.once('connection', (sock) => resolve(WireClient.wrap(sock))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  const actions = [{ application: 'socket', data: `127.0.0.1:${port} full` }];
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, dialplan: { default: [{ name: 'sock', conditions: [{ field: 'destination_number', expression: '^8000$', actions }] }] } });
  const { port: simPort } = await sim.start();
  cleanup.push(() => sim.stop());
  const control = await WireClient.authed(simPort);
  cleanup.push(() => control.close());
  assert.equal(await control.replyText('log 7'), '+OK log level 7 [7]');
  await control.replyText('bgapi originate loopback/8000 &park()');
  const s = await accepted;
  cleanup.push(() => s.close());
  const connect = await s.command('connect');
  assert.equal(connect.headers.get('Socket-Mode'), 'static');
  return { s, control, uuid: connect.headers.get('Unique-ID') ?? '' };
}

const execute = (app: string, arg: string): string => `sendmsg\ncall-command: execute\nexecute-app-name: ${app}\nexecute-app-arg: ${arg}`;
const header = (frame: { body?: Buffer | undefined }, name: string): string | undefined => new RegExp(`^${name}: (.*)$`, 'm').exec(frame.body?.toString() ?? '')?.[1];

void it('a hung-up channel runs only zombie_exec applications: others get +OK, a debug line and no event; an unknown one nothing', async () => {
  const { s, control } = await staticLingeringSession();
  assert.equal(await s.replyText('linger'), '+OK will linger');
  assert.equal(await s.replyText('myevents'), '+OK Events Enabled');
  assert.equal(await s.replyText('sendmsg\ncall-command: hangup\nhangup-cause: NORMAL_CLEARING'), '+OK');
  assert.equal(header(await s.next(), 'Event-Name'), 'CHANNEL_HANGUP');
  assert.equal((await s.next()).headers.get('Content-Disposition'), 'linger');

  assert.equal(await s.replyText(execute('playback', 'silence_stream://100')), '+OK');
  assert.equal(await s.replyText(execute('no_such_app', 'x')), '+OK');
  assert.equal(await s.replyText(execute('set', 'zombie_ran=1')), '+OK');
  const ran: string[] = [];
  for (;;) {
    const f = await s.nextOfType('text/event-plain');
    ran.push(`${header(f, 'Event-Name') ?? ''}(${header(f, 'Application') ?? ''})`);
    if (header(f, 'Event-Name') === 'CHANNEL_EXECUTE_COMPLETE') break;
  }
  assert.deepEqual(ran, ['CHANNEL_EXECUTE(set)', 'CHANNEL_EXECUTE_COMPLETE(set)'], 'only the zombie_exec application ran');
  assert.equal(await s.replyText('getvar zombie_ran'), '1');

  // Each log line of the channel since the hangup: `file:line [level] text` (the text without its stamp).
  const lines: string[] = [];
  while (!lines.some((l) => l.includes('ZOMBIE EXEC'))) {
    const f = await control.nextOfType('log/data');
    const text = (f.body?.toString() ?? '').replace(/^.*\] \S+:\d+ /, '');
    lines.push(`${f.headers.get('Log-File') ?? ''}:${f.headers.get('Log-Line') ?? ''} [${f.headers.get('Log-Level') ?? ''}] ${text}`);
  }
  const after = lines.slice(lines.findIndex((l) => l.includes('Hangup loopback/8000-b')));
  assert.deepEqual(after.slice(1).filter((l) => !l.includes('Command Execute')), [
    "switch_core_session.c:2754 [7] loopback/8000-b Channel is hungup and application 'playback' does not have the zombie_exec flag.\n",
    'switch_core_session.c:2749 [7] loopback/8000-b ZOMBIE EXEC set(zombie_ran=1)\n',
  ], 'nothing said of the unknown application (no Invalid Application, no hangup)');
  assert.equal(await s.replyText('exit'), '+OK bye');
});
