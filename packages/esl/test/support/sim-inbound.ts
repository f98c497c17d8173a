/** An inbound client against @fsbus/sim in-process on port 0, and what tests ask of the simulated core. */
import { strict as assert } from 'node:assert';
import { Simulator, type CoreEvent } from '@fsbus/sim';
import { EslClient, type EslClientOptions } from '../../src/index.js';

/** Runs `fn` with a started simulator and a connected client (no reconnect unless `reconnect` says); stops both. */
export async function withSim(fn: (sim: Simulator, client: EslClient, port: number) => Promise<void>, reconnect: EslClientOptions['reconnect'] = false): Promise<void> {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const client = new EslClient({ port, reconnect });
  try {
    await client.connect();
    await fn(sim, client, port);
  } finally {
    await client.close();
    await sim.stop();
  }
}

/** The next event of the simulated core matching `pred` (the core fires before any socket sees it). */
export function coreEvent(sim: Simulator, pred: (e: CoreEvent) => boolean): Promise<CoreEvent> {
  return new Promise((resolve) => {
    const off = sim.core.onEvent((e) => {
      if (!pred(e)) return;
      off();
      resolve(e);
    });
  });
}

/** The uuid of an `originate` reply (`+OK <uuid>`). */
export function originated(reply: string): string {
  const uuid = /^\+OK (\S+)/.exec(reply)?.[1];
  assert.ok(uuid !== undefined, reply);
  return uuid;
}
