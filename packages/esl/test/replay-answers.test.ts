// What the reconnect's re-apply got accepted answers a repeated subscription call only while it is
// still the state on the socket in use: never a call made while another change is under way, and
// never while disconnected.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslClient, type EslClientStatus, type EslLogger } from '../src/index.js';
import { SubscriptionState } from '../src/subscription-state.js';
import { bounded, eventWhere, ScriptedPeer, type PeerConn, type ReceivedCommand } from './support/scripted-peer.js';

function okAll(cmd: ReceivedCommand, conn: PeerConn): void {
  if (cmd.line.startsWith('api ')) conn.apiResponse('ok');
  else if (cmd.line === 'exit') {
    conn.reply('+OK bye');
    conn.end();
  } else conn.reply('+OK');
}

void test('log(info) then log(debug) right after a reconnect that re-applied debug: both go out, debug last', async (t) => {
  const peer = await ScriptedPeer.start({ onCommand: okAll });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, reconnect: { initialDelayMs: 1, maxDelayMs: 5, jitter: 0 } });
  t.after(() => client.close());
  await client.connect();
  await client.log('debug');
  const ready = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
  peer.connections.at(-1)!.destroy();
  await bounded(ready, 'the reconnect');
  // The second is made while the first awaits its reply: it must not be answered from the re-apply.
  await Promise.all([client.log('info'), client.log('debug')]);
  await client.api('status');
  assert.deepEqual(peer.connections.at(-1)!.received.map((c) => c.line), ['auth ClueCon', 'log debug', 'log info', 'log debug', 'api status']);
});

void test('a re-apply cut short by the connection answers nothing: subscription calls reject while reconnecting', async (t) => {
  const peer = await ScriptedPeer.start({
    onCommand: (cmd, conn) => {
      // The first connection accepts everything; later ones break the framing at the re-applied `log`.
      if (conn === peer.connections[0] || !cmd.line.startsWith('log ')) conn.reply('+OK');
      else conn.write('Content-Length: zz\n\n');
    },
  });
  t.after(() => peer.close());
  let failedReconnect!: () => void;
  const reconnectFailed = new Promise<void>((resolve) => (failedReconnect = resolve));
  const quiet = (): void => undefined;
  const logger: EslLogger = { debug: quiet, info: quiet, error: quiet, warn: (_f, msg) => msg === 'esl reconnect failed' && failedReconnect() };
  // After the failed attempt, the next is a minute away: the client stays `reconnecting` meanwhile.
  const client = new EslClient({ port: peer.port, reconnect: { initialDelayMs: 1, factor: 1e6, maxDelayMs: 60_000, jitter: 0 }, logger });
  t.after(() => client.close());
  client.on('error', quiet);
  await client.connect();
  await client.events('json', ['ALL']);
  await client.filter('Unique-ID', 'abc');
  await client.log('debug');
  peer.connections[0]!.destroy();
  await bounded(reconnectFailed, 'the reconnect that dies while re-applying');
  assert.equal(client.status, 'reconnecting');
  await assert.rejects(client.filter('Unique-ID', 'abc'), { name: 'EslClosedError' });
  await assert.rejects(client.events('json', ['ALL']), { name: 'EslClosedError' });
});

void test('the same filter set twice is re-applied once (FreeSWITCH filters the same; `filter delete` takes every copy)', () => {
  const subs = new SubscriptionState();
  subs.onEvents('plain', ['ALL']);
  subs.onFilter('Unique-ID', 'abc');
  subs.onFilter('Unique-ID', 'abc');
  subs.onFilter('Unique-ID', 'def');
  assert.deepEqual(subs.replayCommands(), ['event plain ALL', 'filter Unique-ID abc', 'filter Unique-ID def']);
});
