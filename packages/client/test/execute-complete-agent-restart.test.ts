// executeApp's completion wait when the agent that ran the application dies: a real `fsbus agent`
// process, SIGKILLed (no goodbye, no "shutting down" reply) while play_and_get_digits waits for
// digits, then started again. Its fsbus::agent_start says the completion will never come: the
// wait ends then, instead of running out its whole timeout. The client watches agent_start with
// one subscription shared by all its waits, made by the first and dropped after the last.
import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AGENT_START_SUBCLASS, encodeEventPayload, encodeUtf8 } from '@fsbus/contract';
import { Simulator } from '@fsbus/sim';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import type { Subscription } from '@fsbus/transport';
import { startedAgent, type AgentProcess } from '../../agent/test/support/agent-process.js';
import { ClientError, ClientErrorCode, connect, type FsbusClient } from '../src/index.js';
import { collectUntil, untilFlushed } from './support/stack.js';

const NODE = 'restart-1';

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );

void describe('executeApp completion wait when its agent restarts', () => {
  let nats: NatsServerHandle;
  let sim: Simulator;
  let eslPort: number;
  let agent: AgentProcess | undefined;
  let bus: FsbusClient;
  /** Subscriptions the client's driver holds on the agent_start subject now. */
  const startWatches = new Set<Subscription>();
  let startSubject: string;

  before(async () => {
    nats = await startNatsServer({ jetstream: false });
    sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: NODE });
    eslPort = (await sim.start()).port;
    sim.core.control.setEndpointBehavior('user/2000', { answer: 'answer' });
    agent = await startedAgent(NODE, nats.url, eslPort);
    bus = await connect({ servers: nats.url });
    startSubject = bus.subjects.event('CUSTOM', AGENT_START_SUBCLASS);
    // The real driver, watched: which subscriptions the client makes on the agent_start subject.
    const driver = bus.driver;
    const subscribe = driver.subscribe.bind(driver);
    driver.subscribe = (pattern, handler, options) => {
      const sub = subscribe(pattern, handler, options);
      if (pattern !== startSubject) return sub;
      startWatches.add(sub);
      return {
        ...sub,
        unsubscribe: () => {
          startWatches.delete(sub);
          return sub.unsubscribe();
        },
      };
    };
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

  /** Waits 60 s for four digits (and the completion the default 60 s): nothing ends it within a test unless something happens. */
  const collectPin = (uuid: string) =>
    bus.node(NODE).executeApp({ uuid, app: 'play_and_get_digits', args: '4 4 1 60000 # a.wav b.wav pin \\d{4}', waitForComplete: true });

  void it('the agent killed and started again: the wait rejects at once, naming the node and what to check', async () => {
    const uuid = await parkedCall();
    const ask = await collectPin(uuid);
    const killed = agent!;
    killed.child.kill('SIGKILL');
    assert.equal((await killed.exited).signal, 'SIGKILL');
    agent = await startedAgent(NODE, nats.url, eslPort);
    const err = await rejection(ask.complete);
    assert.ok(err instanceof ClientError, String(err));
    assert.equal(err.code, ClientErrorCode.DISCONNECTED);
    assert.match(err.message, new RegExp(`the agent on node '${NODE}' restarted during the wait`));
    assert.match(err.message, /completion .*will not come/);
    assert.match(err.message, new RegExp(`uuid_exists ${uuid}`));
    assert.deepEqual(err.data, { uuid, application_uuid: ask.applicationUuid, app: 'play_and_get_digits', node: NODE });
    // The channel outlived its agent: the caller's next step works.
    assert.equal((await bus.node(NODE).api('uuid_exists', uuid)).trim(), 'true');
    await bus.hangup(uuid, undefined, { node: NODE });
  });

  void it('one agent_start subscription for all waits, made by the first and dropped after the last', async () => {
    await untilFlushed(bus.driver, () => startWatches.size === 0, 'no watch while nothing waits');
    const first = await parkedCall();
    const second = await parkedCall();
    const a = await collectPin(first);
    const b = await collectPin(second);
    assert.equal(startWatches.size, 1, 'one subscription for both waits');
    assert.equal(sim.core.control.sendDigits(first, '1234#'), true);
    assert.equal((await a.complete).variable('pin'), '1234');
    assert.equal(startWatches.size, 1, 'kept while a wait is left');
    assert.equal(sim.core.control.sendDigits(second, '5678#'), true);
    assert.equal((await b.complete).variable('pin'), '5678');
    assert.equal(startWatches.size, 0, 'dropped after the last wait');
    await bus.hangup(first, undefined, { node: NODE });
    await bus.hangup(second, undefined, { node: NODE });
  });

  void it("another node's agent_start does not end the wait", async () => {
    const uuid = await parkedCall();
    const ask = await collectPin(uuid);
    const other = encodeEventPayload({ name: 'CUSTOM', subclass: AGENT_START_SUBCLASS, headers: new Map([['Event-Name', 'CUSTOM'], ['Event-Subclass', AGENT_START_SUBCLASS]]) }, 'another-node', Date.now() * 1000);
    bus.driver.publish(startSubject, encodeUtf8(other));
    // Published on this client's own connection: delivered back to it before the flush returns.
    await bus.driver.flush();
    assert.equal(sim.core.control.sendDigits(uuid, '4321#'), true);
    assert.equal((await ask.complete).variable('pin'), '4321');
    await bus.hangup(uuid, undefined, { node: NODE });
  });
});
