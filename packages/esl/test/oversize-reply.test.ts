// A reply over the parser's body limit fails its own request, typed, and the connection goes on:
// the requests behind it get their replies (a `show channels` of a huge switch must not cost the
// connection and everything queued on it).
import { strict as assert } from 'node:assert';
import { createServer, connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { EslConnection } from '../src/connection.js';
import { EslTooLargeError, type EslProtocolError } from '../src/index.js';

void test('an api/response over the limit rejects its request with EslTooLargeError; the next request is answered; an oversize event is a protocol error the connection survives', async (t) => {
  let peer!: Socket;
  const accepted = new Promise<void>((resolve) => {
    const server = createServer((s) => {
      peer = s;
      resolve();
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      socket = connect(port, '127.0.0.1');
    });
    t.after(() => server.close());
  });
  let socket!: Socket;
  await accepted;
  const protocolErrors: Array<[EslProtocolError, boolean]> = [];
  const conn = new EslConnection(
    socket,
    { onFrame: () => undefined, onProtocolError: (err, fatal) => protocolErrors.push([err, fatal]), onClose: () => undefined },
    { maxPending: 10, requestTimeoutMs: 5000, stats: { requests: 0, replies: 0, timeouts: 0 }, parser: { maxBodyBytes: 10 } },
  );
  t.after(() => conn.destroy());
  const big = conn.request('api show channels as json\n\n', 'api show channels');
  const next = conn.request('api status\n\n', 'api status');
  peer.write(`Content-Type: text/event-json\nContent-Length: 30\n\n${'{'.repeat(30)}`);
  peer.write(`Content-Type: api/response\nContent-Length: 40\n\n${'r'.repeat(40)}`);
  peer.write('Content-Type: api/response\nContent-Length: 2\n\nok');
  const err = await big.then(
    () => assert.fail('the large reply must not resolve'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof EslTooLargeError, String(err));
  assert.equal(err.code, 'FSBUS_ERR_ESL_TOO_LARGE');
  assert.equal(err.bytes, 40);
  assert.equal(err.limit, 10);
  const reply = await next;
  assert.equal(reply.kind, 'api-response');
  assert.equal(reply.kind === 'api-response' ? reply.body : '', 'ok');
  assert.equal(conn.closed, false);
  assert.equal(protocolErrors.length, 1);
  assert.match(protocolErrors[0]![0].message, /text\/event-json frame of 30 bytes is over the limit of 10 bytes: skipped/);
  assert.equal(protocolErrors[0]![1], false, 'not fatal');
});
