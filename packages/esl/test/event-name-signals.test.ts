import { strict as assert } from 'node:assert';
import { connect } from 'node:net';
import { test } from 'node:test';
import { EslClient, EslServer, type EslEvent, type EslSession } from '../src/index.js';
import { bounded, eventWhere, nextEvent, PeerConn, ScriptedPeer } from './support/scripted-peer.js';

/** The client's own signals. A peer that is not FreeSWITCH (or a proxy) may send events named so. */
const CLIENT_SIGNALS = ['event', 'log', 'disconnect-notice', 'frame', 'error', 'status'];

void test("an event named like one of the client's signals ('status', 'error', 'event'…) reaches 'event' and iterators, never the signal's listeners", async (t) => {
  const peer = await ScriptedPeer.start({ onCommand: (_cmd, conn) => conn.reply('+OK') });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, reconnect: false });
  t.after(() => client.close());
  await client.connect();
  const conn = await peer.nextConnection();
  const signals: string[] = [];
  for (const name of CLIENT_SIGNALS) if (name !== 'event') client.on(name, () => signals.push(name));
  const all: string[] = [];
  client.on('event', (e) => all.push(e.name));
  const byName: string[] = [];
  client.on('CHANNEL_ANSWER', (e) => byName.push(e.name));
  const mine: string[] = [];
  client.onChannel('s1', (e) => mine.push(e.name));
  const statuses = client.iterate({ names: ['status'] });
  const last = eventWhere<EslEvent>(client, 'event', (e) => e.name === 'CHANNEL_ANSWER');
  for (const name of CLIENT_SIGNALS) conn.event({ 'Event-Name': name, 'Unique-ID': 's1' }, 'json');
  conn.event({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 's1' }, 'json');
  await bounded(last, 'the last event');
  assert.deepEqual(signals, [], 'no signal listener took an event for its own value');
  assert.deepEqual(all, [...CLIENT_SIGNALS, 'CHANNEL_ANSWER'], "each once on 'event' ('event' not twice)");
  assert.deepEqual(mine, [...CLIENT_SIGNALS, 'CHANNEL_ANSWER']);
  assert.deepEqual(byName, ['CHANNEL_ANSWER'], 'by-name delivery of real event names is unchanged');
  const got = await bounded(statuses.next(), 'the status event from the iterator');
  assert.equal(got.value?.name, 'status');
  await statuses.return();
  assert.equal(client.status, 'ready');
  assert.equal(client.stats.eventsReceived, CLIENT_SIGNALS.length + 1);
  await client.close();
  await peer.close();
});

void test("an outbound session: events named 'end' or 'close' neither end nor close it", async (t) => {
  const server = new EslServer({ port: 0 });
  t.after(() => server.close());
  const { port } = await server.listen();
  const sessionP = nextEvent<[EslSession]>(server, 'session');
  const socket = connect({ port, host: '127.0.0.1' });
  const fs: PeerConn = new PeerConn(socket, (cmd) => {
    if (cmd.line === 'connect') fs.reply('+OK', [['Event-Name', 'CHANNEL_DATA'], ['Unique-ID', 'chan-1'], ['Socket-Mode', 'async'], ['Control', 'full']]);
    else fs.reply('+OK');
  });
  const [session] = await bounded(sessionP, 'the session');
  const signals: string[] = [];
  for (const name of ['end', 'close', 'error', 'log']) session.on(name, () => signals.push(name));
  const all: string[] = [];
  session.on('event', (e) => all.push(e.name));
  const last = eventWhere<EslEvent>(session, 'event', (e) => e.name === 'CHANNEL_ANSWER');
  for (const name of ['end', 'close', 'error', 'event']) fs.event({ 'Event-Name': name, 'Unique-ID': 'chan-1' }, 'json');
  fs.event({ 'Event-Name': 'CHANNEL_ANSWER', 'Unique-ID': 'chan-1' }, 'json');
  await bounded(last, 'the last event');
  assert.deepEqual(signals, []);
  assert.deepEqual(all, ['end', 'close', 'error', 'event', 'CHANNEL_ANSWER']);
  assert.equal(session.ended, false);
  assert.equal(session.closed, false);
  await server.close();
  await fs.closed;
});
