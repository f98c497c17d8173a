/**
 * ZeroMQ replies across a link blip. A ROUTER addresses each reply to the routing id of the
 * connection the request came in on; a DEALER that reconnects comes back as a new connection,
 * so unless it keeps its routing id (and the ROUTER hands that id over to the new connection),
 * the reply to a request made before the blip goes nowhere and the requester waits out its
 * timeout.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { freePort } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { dec, enc, waitStatus, within } from './conformance/helpers.js';
import { startRelay } from './conformance/relay.js';

/** A deferred the test resolves by hand. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** An agent-side driver whose `freeswitch.api` handler replies only when the test lets it. */
async function heldServer(): Promise<{ server: Driver; commands: number; events: number; arrived: Promise<void>; release: () => void }> {
  const commands = await freePort();
  const events = await freePort();
  const server = await createDriver('zmq', { urls: [`zmq://127.0.0.1:${commands}?events=${events}`], name: 'agent' });
  await server.connect();
  const arrived = latch();
  const release = latch();
  server.serve({ subject: 'freeswitch.api', competing: true }, async () => {
    arrived.open();
    await release.promise;
    return enc('late');
  });
  await server.flush();
  return { server, commands, events, arrived: arrived.promise, release: release.open };
}

void test('zmq: the reply to a request made before a link blip reaches the requester over its new connection', async () => {
  const { server, commands, events, arrived, release } = await heldServer();
  const relay = await startRelay(commands);
  const client = await createDriver('zmq', { urls: [`zmq://127.0.0.1:${relay.port}?events=${events}`], name: 'client' });
  try {
    await client.connect();
    const answer = client.request('freeswitch.api', enc('status'), { timeoutMs: 30_000 });
    await within(arrived, 10_000, 'the request never reached the agent');
    await relay.cut();
    await waitStatus(client, 'reconnecting');
    await relay.restore();
    await waitStatus(client, 'connected');
    assert.equal(relay.accepted, 2, 'the client came back on a new connection');
    release();
    assert.equal(dec((await within(answer, 10_000, 'the reply was lost after the reconnect')).data), 'late');
    assert.equal(server.stats().dropped, 0);
  } finally {
    release();
    await client.close();
    await server.close();
    await relay.close();
  }
});
