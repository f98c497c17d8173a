// getvar as mod_event_socket answers it (parse_command + listener_run, FreeSWITCH 1.10): the value
// as the Reply-Text, cut to the 511 bytes of the reply buffer; `-ERR command not found` for an
// unset or empty variable and for no name; a value starting `~` written as raw headers.
import { strict as assert } from 'node:assert';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { Simulator } from '../src/index.js';
import { WireClient } from './listener-client.js';

async function withSession(fn: (s: WireClient, uuid: string) => Promise<void>): Promise<void> {
  const server = createServer();
  const session = new Promise<WireClient>((resolve) => server.once('connection', (sock) => resolve(WireClient.wrap(sock))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  const actions = [{ application: 'socket', data: `127.0.0.1:${port}` }];
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, dialplan: { default: [{ name: 'sock', conditions: [{ field: 'destination_number', expression: '^8000$', actions }] }] } });
  const control = await WireClient.authed((await sim.start()).port);
  let s: WireClient | undefined;
  try {
    assert.match(await control.replyText('bgapi originate loopback/8000 &park()'), /^\+OK Job-UUID: /);
    s = await session;
    const uuid = (await s.command('connect')).headers.get('Unique-ID') ?? '';
    await fn(s, uuid);
  } finally {
    s?.close();
    control.close();
    await sim.stop();
    await new Promise<void>((r) => server.close(() => r()));
  }
}

const set = (s: WireClient, arg: string): Promise<string> => s.replyText(`sendmsg\ncall-command: execute\nexecute-app-name: set\nexecute-app-arg: ${arg}`);

void test('getvar: the value as is, -ERR command not found for unset, empty or no name', async () => {
  await withSession(async (s) => {
    assert.equal(await set(s, 'v_err=-ERR nope'), '+OK');
    assert.equal(await s.replyText('getvar v_err'), '-ERR nope');
    assert.equal(await s.replyText('getvar fsbus_never_set'), '-ERR command not found');
    assert.equal(await set(s, 'v_empty='), '+OK');
    assert.equal(await s.replyText('getvar v_empty'), '-ERR command not found');
    assert.equal(await s.replyText('getvar'), '-ERR command not found');
    assert.equal(await s.replyText('getvar '), '-ERR command not found');
  });
});

void test('getvar: a value over the reply buffer comes back cut to 511 bytes', async () => {
  await withSession(async (s) => {
    assert.equal(await set(s, `long=${'x'.repeat(600)}`), '+OK');
    assert.equal(await s.replyText('getvar long'), 'x'.repeat(511));
  });
});

void test('getvar: a value starting ~ is written as headers, without Reply-Text nor blank line', async () => {
  await withSession(async (s, uuid) => {
    assert.equal(await set(s, 'tilde=~Foo: bar'), '+OK');
    s.send('getvar tilde\n\ngetvar uuid\n\n');
    // What FreeSWITCH writes next runs on in the same frame.
    const frame = await s.next();
    assert.equal(frame.headers.get('Foo'), 'barContent-Type: command/reply');
    assert.equal(frame.headers.get('Reply-Text'), uuid);
  });
});
