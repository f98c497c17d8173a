// /readyz said only "FreeSWITCH event connection reconnecting" after the event connection was
// lost, until a reconnect attempt failed: why it was lost (reset, FreeSWITCH closing it, its
// shutdown notice) was in one log line and nowhere an operator's probe looks. It says it now, and
// so does the answer of a command that finds no connection meanwhile.
// FreeSWITCH (the simulator) sits behind a relay that, once told to hold, accepts the reconnects
// and says nothing: each attempt waits for the greeting (connect_timeout_ms, long here), so the
// state between the loss and the next failed attempt lasts as long as the test needs.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { BusErrorCode } from '@fsbus/contract';
import { Simulator } from '@fsbus/sim';
import { until } from './support/cluster.js';
import { withAgent, type EslPeer } from './support/fault-rig.js';
import { httpGet } from './support/http-get.js';

interface HoldingPeer extends EslPeer {
  /** Cuts the relayed connections (reset, or a clean close) and holds every later one, silent. */
  cut(how: 'reset' | 'close'): void;
}

async function holdingSimulator(): Promise<HoldingPeer> {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port: simPort } = await sim.start();
  const relayed = new Set<Socket>();
  const held = new Set<Socket>();
  let hold = false;
  const server = createServer((client) => {
    client.on('error', () => undefined);
    if (hold) {
      held.add(client);
      return;
    }
    const upstream = connect(simPort, '127.0.0.1');
    upstream.on('error', () => undefined);
    relayed.add(client);
    client.on('close', () => {
      relayed.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut(how) {
      hold = true;
      for (const s of relayed) {
        if (how === 'reset') s.resetAndDestroy();
        else s.end();
      }
    },
    async stop() {
      for (const s of [...relayed, ...held]) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sim.stop();
    },
  };
}

const readyz = async (port: number) => {
  const r = await httpGet(port, '/readyz');
  return { status: r.status, reason: (JSON.parse(r.body) as { reason?: string }).reason };
};

for (const [how, lost] of [
  ['reset', 'read ECONNRESET'],
  ['close', 'the peer closed the connection'],
] as const) {
  void test(`/readyz, and a command's answer, name why the connection was lost while it reconnects (${how})`, async () => {
    const peer = await holdingSimulator();
    await withAgent(peer, { config: { esl: { connect_timeout_ms: 600_000 } } }, async (rig) => {
      peer.cut(how);
      const commandsReady = () => (rig.agent.status()['esl'] as { command_connections_ready: number }).command_connections_ready;
      await until(rig.agent, () => rig.agent.eslStatus === 'reconnecting' && commandsReady() === 0, 'every connection reconnecting');
      const r = await readyz(rig.agent.httpPort!);
      assert.equal(r.status, 503);
      assert.equal(r.reason, `FreeSWITCH event connection reconnecting (lost: ${lost})`);
      assert.equal((rig.agent.status() as { not_ready_reason?: string }).not_ready_reason, r.reason, 'agent.status says the same');
      const answer = await rig.request('{"command":"status"}');
      assert.equal(answer.code, BusErrorCode.FREESWITCH_UNAVAILABLE, JSON.stringify(answer));
      assert.equal(answer.message, `FreeSWITCH is not connected: the connection was lost (${lost}), reconnecting`);
    });
  });
}
