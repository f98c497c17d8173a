/**
 * onChannel's entries stay until removed (a CHANNEL_DESTROY does not end them): onChannel returns
 * the function that removes its listener, and offChannel still does.
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslClient, EslEvent } from '../src/index.js';
import { bounded, eventWhere, ScriptedPeer, type PeerConn, type ReceivedCommand } from './support/scripted-peer.js';

function okAll(cmd: ReceivedCommand, conn: PeerConn): void {
  if (cmd.line === 'exit') {
    conn.reply('+OK bye');
    conn.end();
  } else conn.reply('+OK');
}

const channelEvent = (name: string, uuid: string, n: number): EslEvent => new EslEvent({ 'Event-Name': name, 'Unique-ID': uuid, 'X-N': String(n) });

void test('onChannel returns its unsubscribe function; the entry outlives CHANNEL_DESTROY until removed', async (t) => {
  const peer = await ScriptedPeer.start({ onCommand: okAll });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, reconnect: false });
  t.after(() => client.close());
  await client.connect();
  const conn = peer.connections[0]!;
  const mine: string[] = [];
  const kept: string[] = [];
  const off = client.onChannel('u1', (e) => void mine.push(`${e.name}#${e.getHeader('X-N')}`));
  const keptListener = (e: EslEvent): void => void kept.push(`${e.name}#${e.getHeader('X-N')}`);
  client.onChannel('u1', keptListener);
  assert.equal(typeof off, 'function');

  let seen = eventWhere<EslEvent>(client, 'event', (e) => e.getHeader('X-N') === '2');
  conn.event(channelEvent('CHANNEL_ANSWER', 'u1', 1));
  conn.event(channelEvent('CHANNEL_DESTROY', 'u1', 2));
  await bounded(seen, 'the first events');
  seen = eventWhere<EslEvent>(client, 'event', (e) => e.getHeader('X-N') === '3');
  conn.event(channelEvent('CUSTOM', 'u1', 3)); // after the destroy: still delivered
  await bounded(seen, 'the event after CHANNEL_DESTROY');
  assert.deepEqual(mine, ['CHANNEL_ANSWER#1', 'CHANNEL_DESTROY#2', 'CUSTOM#3']);

  off();
  off(); // a second call does nothing
  client.offChannel('u1', keptListener);
  seen = eventWhere<EslEvent>(client, 'event', (e) => e.getHeader('X-N') === '4');
  conn.event(channelEvent('CUSTOM', 'u1', 4));
  await bounded(seen, 'the event after removal');
  assert.deepEqual(mine, ['CHANNEL_ANSWER#1', 'CHANNEL_DESTROY#2', 'CUSTOM#3']);
  assert.deepEqual(kept, ['CHANNEL_ANSWER#1', 'CHANNEL_DESTROY#2', 'CUSTOM#3']);
});
