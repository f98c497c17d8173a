// An embedder's stop() (a signal handler, a test's cleanup) may come while start() is still under
// way, or twice: stop() resolves once the agent has stopped, whatever it was doing. It used to tear
// down what existed so far and resolve, while start() went on and brought the agent up after all.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { Agent, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';

let nats: NatsServerHandle;
let sim: Simulator;
let eslPort: number;
before(async () => {
  nats = await startNatsServer();
  sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  eslPort = (await sim.start()).port;
});
after(async () => {
  await sim.stop();
  await nats.stop();
});

function newAgent(): Agent {
  const config = loadConfig({ values: { node_id: 'life', broker: { urls: [nats.url] }, esl: { host: '127.0.0.1', port: eslPort, pool_size: 1 }, metrics: { port: 0, host: '127.0.0.1' } }, env: {} });
  return new Agent(config, { logger: pino({ level: 'silent' }) });
}

void test('stop() while start() is under way waits for it, then stops everything it started', async () => {
  const agent = newAgent();
  const started = agent.start().then(
    () => 'up',
    (err: Error) => err.message,
  );
  await agent.stop();
  assert.equal(await started, 'up', 'start() itself is not failed by the stop');
  assert.deepEqual([agent.ready, agent.brokerStatus], [false, 'closed']);
  assert.ok(agent.eslStatus === 'closed' || agent.eslStatus === 'none', agent.eslStatus);
});

void test('a second stop() resolves when the first has finished, not before', async () => {
  const agent = newAgent();
  await agent.start();
  const order: string[] = [];
  const first = agent.stop().then(() => order.push('first'));
  const second = agent.stop().then(() => order.push('second'));
  await Promise.all([first, second]);
  assert.deepEqual(order, ['first', 'second']);
  assert.equal(agent.brokerStatus, 'closed');
});
