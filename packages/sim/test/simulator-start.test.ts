import { strict as assert } from 'node:assert';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { Simulator } from '../src/index.js';
import { WireClient } from './listener-client.js';

async function listen(port = 0): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Live timers of the process (a cleared one leaves the list at once). */
function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** Nothing listens on these ports any more: each can be bound again. */
async function free(...ports: number[]): Promise<void> {
  for (const port of ports) await close(await listen(port));
}

void describe('Simulator start/stop', () => {
  void it('a start that fails on the control port closes the Event Socket port it had bound, and can be retried', async () => {
    const blocker = await listen();
    const busy = portOf(blocker);
    const sim = new Simulator({ port: 0, controlPort: busy, heartbeatIntervalMs: 0 });
    await assert.rejects(sim.start(), { code: 'FSBUS_ERR_SIM_LISTEN' });
    assert.equal(sim.control.status().listening, false);
    // The port the listener had bound is free again.
    await free(sim.address.port);
    await close(blocker);
    const address = await sim.start();
    assert.equal(address.controlPort, busy);
    const c = await WireClient.authed(address.port);
    c.close();
    await sim.stop();
    await free(address.port, busy);
  });

  void it('a start that fails on the Event Socket port leaves no timer behind, and can be retried', async () => {
    const blocker = await listen();
    const before = timers();
    const sim = new Simulator({ port: portOf(blocker) });
    await assert.rejects(sim.start(), { code: 'FSBUS_ERR_SIM_LISTEN' });
    // The heartbeat timer (20 s, ref'd) would keep a test runner alive.
    assert.equal(timers(), before);
    await close(blocker);
    const { port } = await sim.start();
    assert.equal(sim.control.status().listening, true);
    await sim.stop();
    assert.equal(timers(), before);
    await free(port);
  });

  void it('concurrent start() calls bind once and share the address; stop() closes it', async () => {
    const sim = new Simulator({ port: 0, controlPort: 0, heartbeatIntervalMs: 0 });
    const [a, b] = await Promise.all([sim.start(), sim.start()]);
    assert.deepEqual(a, b);
    await sim.stop();
    await free(a.port, a.controlPort ?? 0);
  });

  void it('stop() during start() waits for it and leaves nothing listening', async () => {
    const sim = new Simulator({ port: 0, controlPort: 0, heartbeatIntervalMs: 0 });
    const starting = sim.start();
    await sim.stop();
    const { port, controlPort } = await starting;
    assert.equal(sim.control.status().listening, false);
    await free(port, controlPort ?? 0);
  });

  void it('a second start() after a successful one returns the same address', async () => {
    const sim = new Simulator({ port: 0, controlPort: 0, heartbeatIntervalMs: 0 });
    const first = await sim.start();
    assert.deepEqual(await sim.start(), first);
    await sim.stop();
    await free(first.port, first.controlPort ?? 0);
  });
});
