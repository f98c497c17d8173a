// Two agents answering for one node id (the first frozen through the second's start-up check, then
// back): `fsbus status --all` showed one row and exited 0, the second answer only counted in the
// SDK's `duplicates`. It now names the node and both agents on stderr and exits 1, and `--json`
// holds both answers — also before the agents' own watch (every 30 s) noticed. With --expect the
// gather ends at the first answer: the agents' `node_id_conflict` says it then.
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { Agent, loadConfig } from '@fsbus/agent';
import { Simulator } from '@fsbus/sim';
import { startBrokerRelay, startNatsServer } from '@fsbus/testkit';
import { cliEnv, runCliMany, type CliResult } from './support/run-cli.js';

interface TwoAgents {
  a: Agent;
  b: Agent;
  env: NodeJS.ProcessEnv;
  /** Resolves once both agents logged the conflict. */
  bothSaidIt: Promise<unknown>;
  stop: () => Promise<void>;
}

/** Agent A for fs-b, frozen (its broker link held) while B for fs-b starts, then back: both serve fs-b. */
async function twoAgents(watchMs: number): Promise<TwoAgents> {
  const nats = await startNatsServer();
  const relay = await startBrokerRelay(Number(new URL(nats.url).port));
  const sims: Simulator[] = [];
  const agents: Agent[] = [];
  const said: Array<Promise<void>> = [];
  const agentFor = async (url: string): Promise<Agent> => {
    const sim = new Simulator({ port: 0, heartbeatIntervalMs: 0, nodeName: 'fs-b' });
    sims.push(sim);
    const { port } = await sim.start();
    let heard!: () => void;
    said.push(new Promise<void>((resolve) => (heard = resolve)));
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        if (chunk.toString('utf8').includes('node id conflict: another agent answers')) heard();
        cb();
      },
    });
    const config = loadConfig({ values: { node_id: 'fs-b', broker: { urls: [url] }, esl: { host: '127.0.0.1', port }, metrics: { enabled: false } }, env: {} });
    const agent = new Agent(config, { nodeIdWatchMs: watchMs, logger: pino({ level: 'error' }, sink) });
    agents.push(agent);
    return agent;
  };
  const stop = async (): Promise<void> => {
    for (const x of agents) await x.stop();
    await relay.close();
    for (const s of sims) await s.stop();
    await nats.stop();
  };
  try {
    const a = await agentFor(`nats://127.0.0.1:${relay.port}`);
    await a.start();
    relay.freeze();
    const b = await agentFor(nats.url);
    await b.start();
    relay.thaw();
    // A's link passes bytes again: a round trip through it.
    await a.driver!.flush();
    const env = cliEnv({ FSBUS_BROKER_URL: nats.url, FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' });
    return { a, b, env, bothSaidIt: Promise.all(said), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

const named = (x: Agent): string => `${String(x.status()['hostname'])} pid ${String(x.status()['pid'])}`;

void test('status --all: two agents answering as fs-b are named on stderr (exit 1), both rows, both in --json, before the agents noticed', async () => {
  // The agents' own watch does not run here: the CLI sees it by itself.
  const { a, b, env, stop } = await twoAgents(3_600_000);
  try {
    // Each gathers for its whole window: side by side.
    const [r, j] = (await runCliMany([['status', '--all'], ['status', '--all', '--json']], env)) as [CliResult, CliResult];
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /fsbus status: two agents answer as fs-b: .* commands to fs-b go to either/);
    for (const x of [a, b]) assert.ok(r.err.includes(named(x)), `${named(x)} named: ${r.err}`);
    assert.equal(r.out.split('\n').filter((l) => l.startsWith('fs-b ')).length, 2, r.out);

    assert.equal(j.code, 1, j.err);
    const list = JSON.parse(j.out) as Array<Record<string, unknown>>;
    assert.deepEqual(list.map((s) => s['instance_id']).sort(), [a, b].map((x) => x.status()['instance_id']).sort());
  } finally {
    await stop();
  }
});

void test('status --all --expect fs-b: met by the first answer, still exit 1 once the agents say the conflict (node_id_conflict)', async () => {
  const { a, b, env, bothSaidIt, stop } = await twoAgents(100);
  try {
    await bothSaidIt;
    const [e, j] = (await runCliMany([['status', '--all', '--expect', 'fs-b'], ['status', '--all', '--expect', 'fs-b', '--json']], env)) as [CliResult, CliResult];
    assert.equal(e.code, 1, e.err);
    assert.match(e.err, /fsbus status: two agents answer as fs-b: /);
    for (const x of [a, b]) assert.ok(e.err.includes(named(x)), `${named(x)} named: ${e.err}`);
    assert.equal(j.code, 1, j.err);
    const list = JSON.parse(j.out) as Array<Record<string, unknown>>;
    assert.ok(list.every((s) => typeof s['node_id_conflict'] === 'object'), j.out);
  } finally {
    await stop();
  }
});
