/**
 * The `socket` application's argument as mod_event_socket's socket_function reads it:
 * `host:port[|host:port…] [async] [full]`, the flags in any case (strcasecmp), each host tried in
 * turn until one answers, with its log lines (`Trying host`, `Socket Error: …`, `Missing Host!`).
 */
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:net';
import { afterEach, it } from 'node:test';
import type { RawFrame } from '@fsbus/esl';
import { Simulator } from '../src/index.js';
import { WireClient } from './listener-client.js';

const cleanup: Array<() => Promise<void> | void> = [];
void afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const portOf = (server: Server): number => {
  const addr = server.address();
  return typeof addr === 'object' && addr !== null ? addr.port : 0;
};

/** An outbound ESL server of ours: its port and the first session it accepts. */
async function outboundServer(): Promise<{ port: number; session: Promise<WireClient> }> {
  const server = createServer();
  const session = new Promise<WireClient>((resolve) => server.once('connection', (s) => resolve(WireClient.wrap(s))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
  return { port: portOf(server), session };
}

/** A loopback port nothing listens on any more. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = portOf(server);
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Runs `socket <data>` on a call to 8000 (then `log`), with an inbound listener on `log 7`. */
async function call(data: string): Promise<WireClient> {
  const sim = new Simulator({
    port: 0,
    heartbeatIntervalMs: 0,
    dialplan: { default: [{ name: 'sock', conditions: [{ field: 'destination_number', expression: '^8000$', actions: [{ application: 'socket', data }, { application: 'log', data: 'INFO after socket' }] }] }] },
  });
  cleanup.push(() => sim.stop());
  const control = await WireClient.authed((await sim.start()).port);
  cleanup.push(() => control.close());
  assert.equal(await control.replyText('log 7'), '+OK log level 7 [7]');
  assert.match(await control.replyText('bgapi originate loopback/8000 &park()'), /^\+OK Job-UUID: /);
  return control;
}

/** socket_function's log lines (`<level> <line> <text>`), read until one satisfies `last`. */
async function socketLines(control: WireClient, last: (text: string) => boolean): Promise<string[]> {
  const lines: string[] = [];
  for (;;) {
    const f: RawFrame = await control.nextOfType('log/data');
    if (f.headers.get('Log-Func') !== 'socket_function') continue;
    const text = (f.body?.toString() ?? '').replace(/^\S+ \S+ [\d.]+% \[[A-Z]+\] \S+:\d+ /, '').replace(/\n$/, '');
    lines.push(`${f.headers.get('Log-Level') ?? ''} ${f.headers.get('Log-Line') ?? ''} ${text}`);
    if (last(text)) return lines;
  }
}

void it('flags are read in any case: ASYNC Full is an async, full session', async () => {
  const out = await outboundServer();
  await call(`127.0.0.1:${out.port} ASYNC Full`);
  const s = await out.session;
  cleanup.push(() => s.close());
  const connect = await s.command('connect');
  assert.equal(connect.headers.get('Socket-Mode'), 'async');
  assert.equal(connect.headers.get('Control'), 'full');
  assert.equal((await s.command('api module_exists mod_event_socket')).body?.toString(), 'true', 'full mode serves api');
});

void it('host1|host2: a host that refuses is logged and the next one is tried', async () => {
  const refused = await closedPort();
  const out = await outboundServer();
  const control = await call(`127.0.0.1:${refused}|127.0.0.1:${out.port} async full`);
  const lines = await socketLines(control, (t) => t === 'Socket Error!' || t === `Trying host: 127.0.0.1:${out.port}`);
  assert.deepEqual(lines, [
    `5 452 Trying host: 127.0.0.1:${refused}`,
    '3 486 Socket Error: Connection refused',
    `5 452 Trying host: 127.0.0.1:${out.port}`,
  ]);
  const s = await out.session;
  cleanup.push(() => s.close());
  await s.command('connect');
  assert.equal(await s.replyText('getvar socket_host'), '127.0.0.1');
});

void it('no host answers: every one is tried (an empty one is `Missing Host!`), then `Socket Error!` and the dialplan goes on', async () => {
  const [a, b] = [await closedPort(), await closedPort()];
  const control = await call(`127.0.0.1:${a}||127.0.0.1:${b}`);
  const lines = await socketLines(control, (t) => t === 'Socket Error!');
  assert.deepEqual(lines, [
    `5 452 Trying host: 127.0.0.1:${a}`,
    '3 486 Socket Error: Connection refused',
    '3 448 Missing Host!',
    `5 452 Trying host: 127.0.0.1:${b}`,
    '3 486 Socket Error: Connection refused',
    '3 490 Socket Error!',
  ]);
  for (;;) {
    const f = await control.nextOfType('log/data');
    if ((f.body?.toString() ?? '').endsWith('after socket\n')) break;
  }
});
