// A node_id such as `FS-Node.03` is served as its slug `fs-node_03` (subjects, `node_id` of
// replies and events): a client still requesting `freeswitch.node.FS-Node.03` gets no responders.
// The agent says so at start, naming both. Real nats-server and simulator.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { Agent, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { startNatsServer } from '@fsbus/testkit';
import { jsonLineSink } from './support/cluster.js';

type Log = Record<string, unknown>;
const WARN = 40;

async function startLines(nodeId: string): Promise<Log[]> {
  const nats = await startNatsServer();
  const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  const { port } = await sim.start();
  const logs: Log[] = [];
  const sink = jsonLineSink(logs);
  const config = loadConfig({
    values: { node_id: nodeId, broker: { urls: [nats.url] }, esl: { host: '127.0.0.1', port, pool_size: 1 }, metrics: { enabled: false } },
    env: {},
  });
  const agent = new Agent(config, { logger: pino({ level: 'info' }, sink) });
  try {
    await agent.start();
  } finally {
    await agent.stop();
    await sim.stop();
    await nats.stop();
  }
  return logs;
}

void test('a node_id changed by its slug is a warn line at start naming both, and the subject served', async () => {
  const logs = await startLines('FS-Node.03');
  const warned = logs.filter((l) => l['level'] === WARN && l['configured'] === 'FS-Node.03');
  assert.equal(warned.length, 1, JSON.stringify(logs));
  assert.equal(warned[0]!['slug'], 'fs-node_03');
  assert.match(String(warned[0]!['msg']), /node_id 'FS-Node\.03' is served as 'fs-node_03' \(freeswitch\.node\.fs-node_03\)/);
});

void test('a node_id that is its own slug gives no such line', async () => {
  const logs = await startLines('fs-node-01');
  assert.deepEqual(logs.filter((l) => 'configured' in l), []);
});
