/**
 * A reply no request waits for means the replies are out of step: some caller already got
 * another's reply, and under pipelining each later one would get the next one's. As with a frame
 * without Content-Type, the connection is dropped (and the client reconnects).
 */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EslClient, EslClosedError, EslProtocolError, encodeFrame, type EslClientStatus } from '../src/index.js';
import { bounded, eventWhere, ScriptedPeer, type PeerConn, type ReceivedCommand } from './support/scripted-peer.js';

const FAST = { initialDelayMs: 1, maxDelayMs: 5, jitter: 0 };

function okAll(cmd: ReceivedCommand, conn: PeerConn): void {
  if (cmd.line === 'api twice') return; // answered by the test
  if (cmd.line.startsWith('api ')) conn.apiResponse(`${cmd.line.slice(4)} on ${conn.socket.localPort}:${conn.socket.remotePort}`);
  else if (cmd.line === 'exit') {
    conn.reply('+OK bye');
    conn.end();
  } else conn.reply('+OK');
}

const apiResponse = (body: string): Buffer => encodeFrame([['Content-Type', 'api/response']], body);

void test('a reply with no request waiting: out of step, so the connection is dropped and the client reconnects', async (t) => {
  const peer = await ScriptedPeer.start({ onCommand: okAll });
  t.after(() => peer.close());
  const client = new EslClient({ port: peer.port, reconnect: FAST });
  t.after(() => client.close());
  const errors: Error[] = [];
  client.on('error', (err) => errors.push(err));
  await client.connect();
  const conn = await peer.nextConnection();
  conn.skipReceived();
  const reconnected = eventWhere<EslClientStatus>(client, 'status', (s) => s === 'ready');
  const outOfStep = eventWhere<Error>(client, 'error', (err) => err instanceof EslProtocolError);
  const one = client.api('twice');
  assert.equal((await conn.nextCommand()).line, 'api twice');
  // Two replies to one request, in one write: the first one goes to the caller (it cannot be told
  // from the right one), the second finds nobody waiting.
  conn.write(Buffer.concat([apiResponse('extra'), apiResponse('twice')]));
  assert.equal(await one, 'extra');
  // Once the second reply found nobody waiting (whether the two came in one read or two), nothing
  // more is sent on the shifted stream.
  await bounded(outOfStep, 'the out-of-step error');
  await assert.rejects(client.api('next'), EslClosedError);
  assert.ok(errors[0] instanceof EslProtocolError && /no request is waiting/.test(errors[0].message), String(errors[0]));
  assert.equal(client.stats.protocolErrors, 1);
  await bounded(reconnected, 'the reconnect');
  assert.equal(peer.connections.length, 2);
  const second = await peer.nextConnection();
  assert.equal(await client.api('status'), `status on ${second.socket.localPort}:${second.socket.remotePort}`);
  await client.close();
  await peer.close();
});
