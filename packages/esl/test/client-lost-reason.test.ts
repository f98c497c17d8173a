// The 'esl connection lost' line says why even when FreeSWITCH closed cleanly (no socket error):
// the text of the disconnect notice it sent first ("The system is being shut down."), else that
// the peer closed the connection. Against @fsbus/sim, which does both.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Simulator } from '@fsbus/sim';
import { EslClient, type EslLogger } from '../src/index.js';
import { bounded } from './support/scripted-peer.js';

type Fields = Record<string, unknown>;

/** A logger whose 'esl connection lost' line resolves `lost`. */
function lostLine(): { logger: EslLogger; lost: Promise<Fields> } {
  let resolve!: (f: Fields) => void;
  const lost = new Promise<Fields>((r) => (resolve = r));
  const noop = (): void => undefined;
  return { logger: { debug: noop, info: noop, error: noop, warn: (fields, msg) => msg === 'esl connection lost' && resolve({ ...fields }) }, lost };
}

async function loseWith(cut: (sim: Simulator) => Promise<unknown>): Promise<Fields> {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const { logger, lost } = lostLine();
  const client = new EslClient({ port, logger, reconnect: { initialDelayMs: 1, maxDelayMs: 20, jitter: 0 } });
  try {
    await client.connect();
    await cut(sim);
    return await bounded(lost, "the 'esl connection lost' line");
  } finally {
    await client.close();
    await sim.stop();
  }
}

void test("sim: FreeSWITCH shutting down → 'esl connection lost' names its disconnect notice", async () => {
  const fields = await loseWith((sim) => sim.stop());
  assert.match(String(fields['reason']), /The system is being shut down\./);
});

void test("sim: a connection closed without a notice → 'esl connection lost' says the peer closed it", async () => {
  const fields = await loseWith(async (sim) => sim.control.dropConnections());
  assert.match(String(fields['reason']), /closed the connection/);
});

void test('lostReason: the reason of that line until the client is ready again', async () => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const { logger, lost } = lostLine();
  const client = new EslClient({ port, logger, reconnect: { initialDelayMs: 1, maxDelayMs: 20, jitter: 0 } });
  try {
    await client.connect();
    assert.equal(client.lostReason, undefined);
    const seen: Array<string | undefined> = [];
    client.on('status', (s) => seen.push(`${s}: ${client.lostReason ?? '-'}`));
    sim.control.dropConnections();
    const fields = await bounded(lost, "the 'esl connection lost' line");
    assert.equal(client.lostReason, fields['reason']);
    await bounded(new Promise<void>((resolve) => client.on('status', (s) => s === 'ready' && resolve())), 'ready again');
    assert.equal(client.lostReason, undefined);
    assert.equal(seen.at(-1), 'ready: -');
  } finally {
    await client.close();
    await sim.stop();
  }
});
