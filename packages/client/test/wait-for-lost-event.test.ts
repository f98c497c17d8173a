// events.waitFor when the awaited event may have been lost: its node's agent restarted (a real
// `fsbus agent` process SIGKILLed while the customer hangs up, then started again: the new agent
// never saw the hangup and cannot publish it), the agent announced a loss (fsbus::events_dropped,
// fsbus::events_resumed), or the client's own connection was lost (a stream gap). The wait rejects
// at once with FSBUS_ERR_CLIENT_DISCONNECTED, saying how to reconcile, instead of running out its
// timeout (an hour, for a call log) while the event will never come.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AGENT_START_SUBCLASS, EVENTS_DROPPED_SUBCLASS, EVENTS_RESUMED_SUBCLASS, encodeEventPayload, encodeUtf8 } from '@fsbus/contract';
import { Simulator } from '@fsbus/sim';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import type { DriverStatus } from '@fsbus/transport';
import { startedAgent, type AgentProcess } from '../../agent/test/support/agent-process.js';
import { ClientError, ClientErrorCode, connect, type FsbusClient } from '../src/index.js';
import { collectUntil } from './support/stack.js';

const NODE = 'waitfor-1';
/** Not what ends these waits: a lost-event signal does, long before (client.md's call log waits an hour). */
const WAIT_MS = 30_000;

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );

void describe('events.waitFor when the awaited event may have been lost', () => {
  let nats: NatsServerHandle;
  let sim: Simulator;
  let eslPort: number;
  let agent: AgentProcess | undefined;
  let bus: FsbusClient;

  before(async () => {
    nats = await startNatsServer({ jetstream: false });
    sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: NODE });
    eslPort = (await sim.start()).port;
    sim.core.control.setEndpointBehavior('user/2000', { answer: 'answer' });
    agent = await startedAgent(NODE, nats.url, eslPort);
    bus = await connect({ servers: nats.url });
  });
  after(async () => {
    await bus?.close();
    agent?.kill();
    await agent?.exited;
    await sim?.stop();
    await nats?.stop();
  });

  /** A new answered channel sitting in park. */
  const parkedCall = async (): Promise<string> => {
    const uuid = randomUUID();
    const parks = bus.events('CHANNEL_PARK');
    await parks.ready;
    await bus.originate({ endpoint: 'user/2000', extension: '&park()', uuid });
    await collectUntil(parks, (e) => e.uuid === uuid, 'the channel parked');
    await parks.close();
    return uuid;
  };

  /** One of the agent's own notices, as `node` would publish it, on this client's connection (delivered back before the flush returns). */
  const announce = async (subclass: string, node: string): Promise<void> => {
    const payload = encodeEventPayload({ name: 'CUSTOM', subclass, headers: new Map([['Event-Name', 'CUSTOM'], ['Event-Subclass', subclass]]) }, node, Date.now() * 1000);
    bus.driver.publish(bus.subjects.event('CUSTOM', subclass), encodeUtf8(payload));
    await bus.driver.flush();
  };

  const hangupWait = (uuid: string, node?: string) =>
    (node === undefined ? bus.events : bus.node(node).events).waitFor({ uuid, event: 'CHANNEL_HANGUP_COMPLETE', timeoutMs: WAIT_MS });

  void it('the agent killed, the customer hanging up meanwhile, the agent started again: the wait rejects at once, saying how to reconcile', async () => {
    const uuid = await parkedCall();
    const wait = hangupWait(uuid, NODE);
    // Handled from the start: it rejects while the agent is still starting.
    const ended = rejection(wait);
    await wait.ready;
    const killed = agent!;
    killed.child.kill('SIGKILL');
    assert.equal((await killed.exited).signal, 'SIGKILL');
    assert.equal(sim.core.control.hupall('NORMAL_CLEARING'), 1, 'the customer hangs up while no agent is there');
    agent = await startedAgent(NODE, nats.url, eslPort);
    const err = await ended;
    assert.ok(err instanceof ClientError, String(err));
    assert.equal(err.code, ClientErrorCode.DISCONNECTED);
    assert.match(err.message, new RegExp(`the agent on node '${NODE}' restarted during the wait`));
    assert.match(err.message, new RegExp(`uuid_exists ${uuid}`));
    assert.match(err.message, /CDR/);
    assert.deepEqual(err.data, { uuid, event: 'CHANNEL_HANGUP_COMPLETE', node: NODE, reason: AGENT_START_SUBCLASS });
    // The recipe's next step: the channel is gone, its outcome is in the CDR.
    assert.equal((await bus.node(NODE).api('uuid_exists', uuid)).trim(), 'false');
  });

  for (const [subclass, what] of [
    [EVENTS_DROPPED_SUBCLASS, 'dropped events'],
    [EVENTS_RESUMED_SUBCLASS, "lost FreeSWITCH's events"],
  ] as const) {
    void it(`the node's ${subclass}: the wait rejects at once`, async () => {
      const uuid = await parkedCall();
      const wait = hangupWait(uuid, NODE);
      const ended = rejection(wait);
      await wait.ready;
      await announce(subclass, NODE);
      const err = await ended;
      assert.ok(err instanceof ClientError, String(err));
      assert.equal(err.code, ClientErrorCode.DISCONNECTED);
      assert.match(err.message, new RegExp(`the agent on node '${NODE}' ${what} during the wait \\(it announced ${subclass}\\)`));
      assert.deepEqual(err.data, { uuid, event: 'CHANNEL_HANGUP_COMPLETE', node: NODE, reason: subclass });
      await bus.hangup(uuid, undefined, { node: NODE });
    });
  }

  void it("another node's notices do not end a wait on this node's events", async () => {
    const uuid = await parkedCall();
    const ended = hangupWait(uuid, NODE);
    await ended.ready;
    for (const subclass of [AGENT_START_SUBCLASS, EVENTS_DROPPED_SUBCLASS, EVENTS_RESUMED_SUBCLASS]) await announce(subclass, 'another-node');
    await bus.hangup(uuid, 'USER_BUSY', { node: NODE });
    assert.equal((await ended).hangupCause, 'USER_BUSY');
  });

  void it("a wait on any node's events (its node unknown) rejects on any node's agent_start", async () => {
    const uuid = await parkedCall();
    const wait = hangupWait(uuid);
    const ended = rejection(wait);
    await wait.ready;
    await announce(AGENT_START_SUBCLASS, 'another-node');
    const err = await ended;
    assert.ok(err instanceof ClientError, String(err));
    assert.equal(err.code, ClientErrorCode.DISCONNECTED);
    assert.deepEqual(err.data, { uuid, event: 'CHANNEL_HANGUP_COMPLETE', node: 'another-node', reason: AGENT_START_SUBCLASS });
    await bus.hangup(uuid, undefined, { node: NODE });
  });

  void it("the client's broker connection lost during the wait (a stream gap): the wait rejects once it is back", async () => {
    const uuid = await parkedCall();
    const wait = hangupWait(uuid, NODE);
    const ended = rejection(wait);
    await wait.ready;
    const status = (want: DriverStatus): Promise<void> =>
      new Promise((resolve) => {
        const off = bus.driver.on((e) => {
          if (e.type === 'status' && e.status === want) {
            off();
            resolve();
          }
        });
      });
    const away = status('reconnecting');
    await nats.halt();
    await away;
    await nats.start();
    const err = await ended;
    assert.ok(err instanceof ClientError, String(err));
    assert.equal(err.code, ClientErrorCode.DISCONNECTED);
    assert.match(err.message, /broker connection was lost during the wait/);
    assert.match(err.message, new RegExp(`uuid_exists ${uuid} on node '${NODE}'`));
    assert.deepEqual(err.data, { uuid, event: 'CHANNEL_HANGUP_COMPLETE', node: NODE, reason: 'stream_gap' });
    // The agent may not be back on the broker yet: hung up on the FreeSWITCH side.
    assert.equal(sim.core.control.hupall('NORMAL_CLEARING'), 1);
  });
});
