// What a command still in flight is told when the agent stops, and what a stopping agent shows.
// - The drain deadline's FSBUS_ERR_BUS_TIMEOUT reply went out only once FreeSWITCH's connections
//   were closed, after the goodbye event and the ESL close's own grace (≈2 s late): it now goes
//   out at the deadline, before the goodbye.
// - With shutdown_timeout_ms at or below commands.drain_timeout_ms, the process gave up with the
//   command unanswered (the caller waited out its own timeout): the command is now cut off (same
//   code, "may have run") before the shutdown deadline, its reply flushed before the exit.
// - A draining agent left every lane at once: `fsbus status` lost it (no responders) while it
//   still finished a command. Its own lane and the broadcast now stay served until the drain ends,
//   answering FSBUS_ERR_BUS_SHUTTING_DOWN (agent.status included: the dashboard's `stopping`).
// Real nats-server, agent and simulator; `msleep` far beyond the test holds the command, so every
// deadline passes for certain; order is asserted, never durations.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { BusErrorCode, decodeReply, type ReplyEnvelope } from '@fsbus/contract';
import { Simulator } from '@fsbus/sim';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver, TransportError, TransportErrorCode, type Driver } from '@fsbus/transport';
import { enc, until } from './support/cluster.js';
import { withAgent } from './support/fault-rig.js';
import { startedAgent } from './support/agent-process.js';

const ask = async (client: Driver, subject: string, body: string, timeoutMs = 30_000): Promise<ReplyEnvelope> =>
  decodeReply((await client.request(subject, enc(body), { timeoutMs })).data);

void test('the drain deadline reply goes out at the deadline, before the goodbye event', async () => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  await withAgent({ port, stop: () => sim.stop() }, { config: { commands: { drain_timeout_ms: 200 } } }, async (rig, stopAgent) => {
    const order: string[] = [];
    const goodbye = rig.client.subscribe('freeswitch.events.custom.fsbus.agent_stop', () => order.push('goodbye'));
    await rig.client.flush();
    const reply = ask(rig.client, 'freeswitch.node.node-1', '{"command":"msleep 600000"}').then((r) => {
      order.push('reply');
      return r;
    });
    await until(rig.agent, () => rig.counters()['in_flight'] === 1, 'the msleep in flight');
    await rig.agent.stop();
    const r = await reply;
    assert.equal(r.code, BusErrorCode.TIMEOUT, JSON.stringify(r));
    assert.equal(r.message, 'the agent stopped before FreeSWITCH answered (its drain deadline, 0.2 s): the command may have run');
    await rig.client.flush();
    assert.deepEqual(order, ['reply', 'goodbye']);
    await goodbye.unsubscribe();
    await stopAgent();
  });
});

void test('a draining agent still answers on its own lane and the broadcast: FSBUS_ERR_BUS_SHUTTING_DOWN, agent.status included', async () => {
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  await withAgent({ port, stop: () => sim.stop() }, { config: { commands: { drain_timeout_ms: 600_000 } } }, async (rig) => {
    const running = ask(rig.client, 'freeswitch.node.node-1', '{"command":"msleep 600000"}', 60_000);
    await until(rig.agent, () => rig.counters()['in_flight'] === 1, 'the msleep in flight');
    const stopped = rig.agent.stop();
    // The shared lane is left at once (another node takes those requests): once the broker says
    // nobody serves it, the stop is under way.
    for (;;) {
      try {
        await ask(rig.client, 'freeswitch.api', '{"command":"agent.status"}', 5000);
      } catch (err) {
        if (err instanceof TransportError && err.code === TransportErrorCode.NO_RESPONDERS) break;
        throw err;
      }
    }
    for (const [subject, body] of [
      ['freeswitch.node.node-1', '{"command":"agent.status"}'],
      ['freeswitch.broadcast', '{"command":"agent.status"}'],
      ['freeswitch.node.node-1', '{"command":"status"}'],
    ] as const) {
      const r = await ask(rig.client, subject, body, 5000);
      assert.equal(r.success, false, `${subject} ${body}: ${JSON.stringify(r)}`);
      assert.equal(r.code, BusErrorCode.SHUTTING_DOWN, `${subject} ${body}: ${JSON.stringify(r)}`);
      assert.equal(r.node_id, 'node-1');
    }
    assert.equal(rig.counters()['in_flight'], 1, 'still finishing its command');
    // FreeSWITCH goes: the command gets its reply, the drain ends, the lanes go.
    await sim.stop();
    await running.catch(() => undefined);
    await stopped;
    await assert.rejects(ask(rig.client, 'freeswitch.node.node-1', '{"command":"agent.status"}', 5000), (err: unknown) => err instanceof TransportError && err.code === TransportErrorCode.NO_RESPONDERS);
  });
});

void test('shutdown_timeout_ms not above commands.drain_timeout_ms: warned at start, and a command in flight is answered before the process exits', async () => {
  const nats = await startNatsServer();
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const client = await createDriver('nats', { urls: [nats.url] });
  const agent = await startedAgent('fs-f', nats.url, port, { FSBUS_SHUTDOWN_TIMEOUT_MS: '1500', FSBUS_DRAIN_TIMEOUT_MS: '10000' });
  try {
    const warned = agent.logs.find((l) => typeof l['msg'] === 'string' && l['msg'].includes('FSBUS_SHUTDOWN_TIMEOUT_MS'));
    assert.ok(warned !== undefined, JSON.stringify(agent.logs));
    assert.equal(warned['level'], 40);
    assert.match(String(warned['msg']), /shutdown_timeout_ms \(FSBUS_SHUTDOWN_TIMEOUT_MS\) 1500 .*commands\.drain_timeout_ms \(FSBUS_DRAIN_TIMEOUT_MS\) 10000/);
    await client.connect();
    const order: string[] = [];
    const reply = ask(client, 'freeswitch.node.fs-f', '{"command":"msleep 600000"}', 20_000).then(
      (r) => (order.push('reply'), r),
      (err: unknown) => (order.push('no reply'), err),
    );
    for (;;) {
      const s = await ask(client, 'freeswitch.node.fs-f', '{"command":"agent.status"}');
      if ((s.data as { counters: { in_flight: number } }).counters.in_flight === 1) break;
    }
    const exited = agent.exited.then((e) => (order.push('exit'), e));
    agent.child.kill('SIGTERM');
    await exited;
    const r = await reply;
    assert.deepEqual(order, ['reply', 'exit']);
    const env = r as ReplyEnvelope;
    assert.equal(env.code, BusErrorCode.TIMEOUT, JSON.stringify(r));
    assert.equal(env.message, 'the agent stopped before FreeSWITCH answered (its shutdown deadline, 1.5 s): the command may have run');
  } finally {
    agent.kill();
    await client.close();
    await sim.stop();
    await nats.stop();
  }
});
