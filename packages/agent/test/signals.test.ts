// `fsbus agent` under a service manager: systemd (KillMode=control-group) sends SIGTERM to every
// process of the unit, and a launcher in front (bin/fsbus.js without a build, npx) passes its own
// on, so the agent gets SIGTERM twice. The second must not cut the graceful stop short (it used
// to: no drain, no goodbye, the in-flight request unanswered). SIGHUP is logged and ignored (it
// used to kill the process, exit 129); two SIGINTs (Ctrl-C twice) still end it at once.
// Real processes, a real nats-server; FreeSWITCH is a FakeFreeSwitch that holds the `status` api
// until the test answers it, so the command is in flight for as long as the test needs.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { decodeReply } from '@fsbus/contract';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { createDriver, type Driver, type InboundMessage } from '@fsbus/transport';
import { enc } from './support/cluster.js';
import { FakeFreeSwitch, type FakeConnection } from './support/fake-freeswitch.js';
import { nextMessage } from './support/fault-rig.js';
import { startedAgent, type AgentProcess } from './support/agent-process.js';

const GOODBYE = 'freeswitch.events.custom.fsbus.agent_stop';
const SIGHUP_LINE = 'SIGHUP ignored: the configuration is read only at start, restart the agent to apply a change';

interface Bench {
  nats: NatsServerHandle;
  fs: FakeFreeSwitch;
  client: Driver;
  /** The connection the held `status` api came on, once it came. */
  held(): FakeConnection | undefined;
}

async function withBench(body: (b: Bench, eslPort: number) => Promise<void>): Promise<void> {
  const nats = await startNatsServer();
  const fs = new FakeFreeSwitch();
  let held: FakeConnection | undefined;
  fs.onApi = (conn, command) => {
    if (command !== 'status') return undefined;
    held = conn;
    return null;
  };
  const port = await fs.listen();
  const client = await createDriver('nats', { urls: [nats.url] });
  await client.connect();
  try {
    await body({ nats, fs, client, held: () => held }, port);
  } finally {
    await client.close();
    await fs.close();
    await nats.stop();
  }
}

/**
 * Sends `status` to the node until FreeSWITCH holds one (a request that comes before a command
 * connection is ready is answered at once: sent again); returns that request's pending reply
 * (wrapped: an async function would wait for it).
 */
async function inFlight(b: Bench, nodeId: string): Promise<{ reply: Promise<InboundMessage> }> {
  for (let attempt = 1; attempt <= 200; attempt++) {
    const reply = b.client.request(`freeswitch.node.${nodeId}`, enc('{"command":"status"}'), { timeoutMs: 60_000 });
    const reached = b.fs.until(() => b.held() !== undefined, 'the status api').then(() => 'held' as const);
    reached.catch(() => undefined);
    const first = await Promise.race([reply.then(() => 'answered' as const), reached]);
    if (first === 'held') return { reply };
  }
  throw new Error('no status api reached FreeSWITCH');
}

async function stopped(agent: AgentProcess): Promise<void> {
  agent.kill();
  await agent.exited;
}

void test('a second SIGTERM during the stop is ignored: the in-flight command is answered, the goodbye published, exit 0', async () => {
  await withBench(async (b, eslPort) => {
    const agent = await startedAgent('sig-1', b.nats.url, eslPort, { FSBUS_LOG_LEVEL: 'debug' });
    try {
      const goodbye = nextMessage(b.client, GOODBYE, () => true);
      goodbye.catch(() => undefined); // awaited below, unless the test fails first
      await b.client.flush();
      const { reply } = await inFlight(b, 'sig-1');
      agent.child.kill('SIGTERM');
      await agent.line((l) => l['msg'] === 'shutting down', 'the stop began');
      // As systemd and a launcher in front deliver it: again, once the first is being handled.
      agent.child.kill('SIGTERM');
      const ignored = await agent.line((l) => l['msg'] === 'SIGTERM ignored: already stopping', 'the second SIGTERM was handled');
      assert.equal(ignored['level'], 20, 'a debug line');
      b.held()!.apiResponse('UP 0 years, 0 days\n');
      const r = decodeReply((await reply).data);
      assert.equal(r.success, true, JSON.stringify(r));
      await goodbye;
      assert.deepEqual(await agent.exited, { code: 0, signal: null });
      assert.ok(agent.logs.some((l) => l['msg'] === 'agent stopped'));
    } finally {
      await stopped(agent);
    }
  });
});

void test('SIGHUP is said once at warn level and the agent keeps serving', async () => {
  await withBench(async (b, eslPort) => {
    const agent = await startedAgent('sig-2', b.nats.url, eslPort);
    try {
      agent.child.kill('SIGHUP');
      const line = await agent.line((l) => l['msg'] === SIGHUP_LINE, 'the SIGHUP line');
      assert.equal(line['level'], 40);
      const r = decodeReply((await b.client.request('freeswitch.node.sig-2', enc('{"command":"agent.status"}'), { timeoutMs: 10_000 })).data);
      assert.equal(r.success, true);
      agent.child.kill('SIGTERM');
      assert.deepEqual(await agent.exited, { code: 0, signal: null });
      assert.equal(agent.logs.filter((l) => l['msg'] === SIGHUP_LINE).length, 1);
    } finally {
      await stopped(agent);
    }
  });
});

void test('a second SIGINT during the stop (Ctrl-C twice) ends the process at once', async () => {
  await withBench(async (b, eslPort) => {
    const agent = await startedAgent('sig-3', b.nats.url, eslPort);
    try {
      const { reply } = await inFlight(b, 'sig-3');
      reply.catch(() => undefined); // never answered: the process is gone
      agent.child.kill('SIGINT');
      await agent.line((l) => l['msg'] === 'shutting down', 'the stop began');
      agent.child.kill('SIGINT');
      assert.deepEqual(await agent.exited, { code: null, signal: 'SIGINT' });
      assert.ok(!agent.logs.some((l) => l['msg'] === 'agent stopped'));
    } finally {
      await stopped(agent);
    }
  });
});
