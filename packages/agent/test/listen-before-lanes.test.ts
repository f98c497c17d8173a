// The agent's local servers (the dialplan endpoint, metrics) listen before it serves any command
// lane: a start that fails on a port in use took no command. The metrics server used to listen
// after the lanes were served (the node's own lane at once, the shared ones once FreeSWITCH was
// ready): a command taken in that window could be run with its reply lost, or be dropped.
// Seen by the broker itself, not by timing: the agent's NATS user may not subscribe to any command
// lane, so a lane served even for an instant gets a permissions error the agent logs ('broker
// reported an error'); its stop flushes (PING/PONG) after the SUB, so the refusal is in before it
// exits. Real processes, a real nats-server, the FreeSWITCH simulator.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { buildSubjects } from '@fsbus/contract';
import { Simulator } from '@fsbus/sim';
import { processTempDir, spawnUntil, stopChild, type SpawnedBroker, type TempDir } from '@fsbus/testkit';
import { spawnAgent } from './support/agent-process.js';
import type { Log } from './support/fault-rig.js';

const PREFIX = 'lanes-test';
const NODE = 'listen-first';
const s = buildSubjects(PREFIX);
/** Every lane the agent serves commands on (agent.ts #serveLanes). */
const COMMAND_LANES = [s.api, s.node(NODE), s.apiNode(NODE), s.broadcast, s.asyncWildcard];

let dir: TempDir;
let nats: SpawnedBroker;
let url: string;
let sim: Simulator;
let eslPort: number;
before(async () => {
  dir = processTempDir('fsbus-lanes-perm-');
  const conf = join(dir.dir, 'nats.conf');
  writeFileSync(conf, `authorization { users = [ { user: agent, password: apw, permissions: { subscribe: { deny: ${JSON.stringify(COMMAND_LANES)} } } } ] }\n`);
  nats = await spawnUntil('nats-server', ['-a', '127.0.0.1', '-p', '-1', '-c', conf], /Listening for client connections on [^\s]*:(\d+)[\s\S]*Server is ready/, 20_000);
  nats.child.stdout?.resume();
  nats.child.stderr?.resume();
  url = `nats://127.0.0.1:${nats.match[1]}`;
  sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
  eslPort = (await sim.start()).port;
});
after(async () => {
  await sim.stop();
  await stopChild(nats.child);
  dir.remove();
});

function agentEnv(env: Record<string, string>): Record<string, string> {
  return {
    FSBUS_BROKER_URL: url,
    FSBUS_BROKER_USER: 'agent',
    FSBUS_BROKER_PASSWORD: 'apw',
    FSBUS_SUBJECT_PREFIX: PREFIX,
    FSBUS_NODE_ID: NODE,
    FSBUS_ESL_PORT: String(eslPort),
    FSBUS_METRICS_HOST: '127.0.0.1',
    FSBUS_DIALPLAN_HOST: '127.0.0.1',
    ...env,
  };
}

const laneRefusals = (logs: Log[]): Log[] => logs.filter((l) => /Permissions Violation for Subscription/.test(JSON.stringify(l)));

/** A port on 127.0.0.1 held by a real listening socket: whoever binds it next gets EADDRINUSE. */
async function heldPort(): Promise<{ port: number; release(): Promise<void> }> {
  const holder: Server = createServer();
  const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
  return { port, release: () => new Promise((resolve) => holder.close(() => resolve())) };
}

// The control: with nothing in the way the agent serves its lanes, and the broker's refusal of
// them is seen. Without it, the tests below could pass on a deny list that denies nothing.
void test('the control: an agent that starts serves its command lanes (the broker refuses each, and it is logged)', async () => {
  const agent = spawnAgent(agentEnv({ FSBUS_METRICS_PORT: '0', FSBUS_DIALPLAN_PORT: '0' }));
  try {
    const line = await agent.line((l) => laneRefusals([l]).length > 0, 'a lane subscription refused by the broker');
    assert.equal(line['msg'], 'broker reported an error');
  } finally {
    agent.kill();
    await agent.exited;
  }
});

for (const [server, name] of [
  ['METRICS', 'metrics'],
  ['DIALPLAN', 'the dialplan endpoint'],
] as const) {
  void test(`the ${server.toLowerCase()} port in use: the start fails before any command lane is served`, async () => {
    const held = await heldPort();
    try {
      const agent = spawnAgent(
        agentEnv({
          FSBUS_METRICS_PORT: server === 'METRICS' ? String(held.port) : '0',
          FSBUS_DIALPLAN_PORT: server === 'DIALPLAN' ? String(held.port) : '0',
        }),
      );
      try {
        const { code } = await agent.exited;
        const fatal = agent.logs.find((l) => l['msg'] === 'agent could not start');
        assert.ok(fatal !== undefined, `no 'agent could not start' line: ${JSON.stringify(agent.logs)} ${agent.stderr()}`);
        assert.equal(code, 1, JSON.stringify(fatal));
        assert.match(String((fatal['err'] as { message?: unknown }).message), new RegExp(`^cannot serve ${name} on 127\\.0\\.0\\.1:${held.port}: the port is in use`));
        assert.deepEqual(laneRefusals(agent.logs), [], 'a command lane was served before the start failed');
        assert.equal(agent.logs.filter((l) => String(l['msg']).endsWith('joined the shared lanes')).length, 0);
      } finally {
        agent.kill();
      }
    } finally {
      await held.release();
    }
  });
}
