/**
 * The SDK examples docs/client.md points to, run as a user would run them — each its own
 * process (`node --conditions=source --import tsx examples/<name>.ts`, FSBUS_BROKER_URL set)
 * against a real nats-server with JetStream, a simulated FreeSWITCH node and an agent with its
 * event stream on (as `fsbus demo` runs them). The long-running ones say on stderr when their
 * subscription is live; calls are placed only after that line, so none is missed.
 */
import { after, before, describe, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Agent, loadConfig } from '@fsbus/agent';
import { connect, type FsbusClient } from '@fsbus/client';
import { Simulator } from '@fsbus/sim';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const NODE_ID = 'examples-1';
/** Bounds each wait on an example's output, so a broken example fails the test instead of hanging it. */
const WAIT_MS = 30_000;

/** One example running as its own process; its stdout and stderr read line by line. */
class Example {
  readonly lines: string[] = [];
  private readonly waiters: Array<{ match: RegExp; resolve: (line: string) => void }> = [];
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(name: string, brokerUrl: string, args: readonly string[] = []) {
    this.child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(here, `${name}.ts`), ...args], {
      cwd: root,
      env: { ...process.env, FSBUS_BROKER_URL: brokerUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null);
    for (const stream of [this.child.stdout!, this.child.stderr!]) createInterface({ input: stream }).on('line', (line) => this.take(line));
  }

  private take(line: string): void {
    this.lines.push(line);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (!w.match.test(line)) continue;
      this.waiters.splice(i, 1);
      w.resolve(line);
    }
  }

  /** The first line (already printed or to come) that matches; rejects if the process exits first or after WAIT_MS. */
  line(match: RegExp): Promise<string> {
    const seen = this.lines.find((l) => match.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no line matching ${String(match)} in ${WAIT_MS} ms; output:\n${this.lines.join('\n')}`)), WAIT_MS);
      void this.exited.then((code) => rej(new Error(`exited (${String(code)}) before a line matching ${String(match)}; output:\n${this.lines.join('\n')}`)));
      this.waiters.push({
        match,
        resolve: (line) => {
          clearTimeout(timer);
          res(line);
        },
      });
    });
  }

  /** Ctrl-C, as its header says to stop it; resolves with its exit code. */
  async interrupt(): Promise<number | null> {
    this.child.kill('SIGINT');
    return this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

void describe('examples/*.ts run against an agent, as docs/client.md tells users to run them', () => {
  let nats: NatsServerHandle;
  let sim: Simulator;
  let agent: Agent;
  let bus: FsbusClient;
  const running: Example[] = [];
  const start = (name: string, args: readonly string[] = []): Example => {
    const example = new Example(name, nats.url, args);
    running.push(example);
    return example;
  };

  let eslPort: number;
  const startAgent = async (): Promise<void> => {
    agent = new Agent(
      loadConfig({
        values: {
          node_id: NODE_ID,
          broker: { urls: [nats.url] },
          esl: { host: '127.0.0.1', port: eslPort },
          metrics: { enabled: false },
          log_level: 'warn',
          events: { stream: { enabled: true, max_age_ms: 600_000 } },
        },
        env: {},
      }),
      { logger: pino({ level: 'silent' }) },
    );
    await agent.start();
    await agent.whenReady(WAIT_MS);
  };

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    sim = new Simulator({ port: 0, nodeName: NODE_ID, heartbeatIntervalMs: 0 });
    const { port } = await sim.start();
    eslPort = port;
    await startAgent();
    bus = await connect({ servers: nats.url });
  });

  after(async () => {
    for (const example of running) example.kill();
    await bus?.close();
    await agent?.stop();
    await sim?.stop();
    await nats?.stop();
  });

  void test('ten-lines: status, a call, its CHANNEL_PARK, hangup; exits 0', async () => {
    const example = start('ten-lines');
    assert.equal(await example.exited, 0, example.lines.join('\n'));
    assert.ok(example.lines.some((l) => l.includes('UP ')), `status printed:\n${example.lines.join('\n')}`);
  });

  void test('click-to-call: rings the agent, bridges the customer to them, says so; exits 0', async () => {
    const bridges = bus.events(['channel.bridge'], { signal: AbortSignal.timeout(WAIT_MS) });
    await bridges.ready;
    const example = start('click-to-call', ['user/1000', 'loopback/9196']);
    const line = await example.line(/^bridged /);
    const m = new RegExp(`^bridged agent ([0-9a-f-]{36}) to customer ([0-9a-f-]{36}) on ${NODE_ID}$`).exec(line);
    assert.ok(m, line);
    const [, agentLeg, customerLeg] = m as unknown as [string, string, string];
    // FreeSWITCH's own word that the two legs are bridged: the agent's leg, the customer's as its other leg.
    let bridged: string | undefined;
    for await (const e of bridges) {
      if (e.uuid !== agentLeg) continue;
      bridged = e.otherLegUuid;
      break;
    }
    assert.equal(bridged, customerLeg);
    assert.equal(await example.exited, 0, example.lines.join('\n'));
    await bus.node(NODE_ID).hangup(agentLeg, 'NORMAL_CLEARING');
  });

  void test('call-monitor: a line as a call rings and as it ends, with its cause; stops on Ctrl-C', async () => {
    const example = start('call-monitor');
    await example.line(/watching calls/);
    const call = await bus.originate({ endpoint: 'user/1000', extension: '&park()' });
    await example.line(new RegExp(`^${NODE_ID} ${call.uuid} ringing `));
    await bus.node(NODE_ID).hangup(call.uuid, 'NORMAL_CLEARING');
    assert.match(await example.line(new RegExp(`${call.uuid} ended`)), new RegExp(`^${NODE_ID} ${call.uuid} ended +NORMAL_CLEARING after \\d+\\.\\d s$`));
    assert.equal(await example.interrupt(), 0);
  });

  void test('cdr-sink: one JSON line per finished leg, from the durable consumer; stops on Ctrl-C', async () => {
    const example = start('cdr-sink');
    await example.line(/writing one line per finished leg/);
    const call = await bus.originate({ endpoint: 'user/1000', extension: '&park()' });
    await bus.node(NODE_ID).hangup(call.uuid, 'NORMAL_CLEARING');
    const cdr = JSON.parse(await example.line(new RegExp(`"uuid":"${call.uuid}"`))) as Record<string, unknown>;
    assert.equal(cdr['node'], NODE_ID);
    assert.equal(cdr['cause'], 'NORMAL_CLEARING');
    assert.equal(typeof cdr['billsec'], 'number');
    // The stream replays from its start for a new durable: the agent's agent_start is there, and
    // the sink names the window whose CDRs must come from FreeSWITCH's own CDR files.
    assert.match(await example.line(/fsbus::agent_start/), new RegExp(`^cdr-sink: node ${NODE_ID} \\(fsbus::agent_start\\) may have missed events since .* FreeSWITCH's CDR files$`));
    // The agent restarts: the new agent_start's window begins at the last event the sink saw from
    // that node (here the goodbye), not "before this agent started" (agent_start has no Lost-Since).
    const stops = bus.events(['custom.fsbus.agent_stop']);
    await stops.ready;
    await agent.stop();
    let stopped: string | undefined;
    for await (const e of stops) {
      stopped = e.date.toISOString();
      break;
    }
    await startAgent();
    assert.match(await example.line(new RegExp(`\\(fsbus::agent_start\\) may have missed events since ${stopped!.replace(/\./g, '\\.')} until `)), /FreeSWITCH's CDR files$/);
    assert.equal(await example.interrupt(), 0);
    assert.equal(example.lines.filter((l) => l.includes(`"uuid":"${call.uuid}"`)).length, 1, 'one line per leg');
  });

  void test('cdr-sink: a bridged call is an a and a b line paired by call_uuid, the a line to bill', async (t) => {
    const example = start('cdr-sink');
    // Killed if an assertion fails first: the durable takes one client at a time, and the next test needs it.
    t.after(() => example.kill());
    await example.line(/^cdr-sink: writing one line per finished leg/);
    const bridges = bus.events(['channel.bridge'], { signal: AbortSignal.timeout(WAIT_MS) });
    await bridges.ready;
    // An inbound call to 7008 (`bridge user/1000` in the simulator's default dialplan): two legs, one call.
    const aLeg = sim.core.control.placeInboundCall({ to: '7008', from: '4930222' });
    let bLeg: string | undefined;
    for await (const e of bridges) {
      if (e.uuid !== aLeg) continue;
      bLeg = e.otherLegUuid;
      break;
    }
    assert.ok(bLeg !== undefined && bLeg !== aLeg, `B leg of ${aLeg}: ${String(bLeg)}`);
    await bus.node(NODE_ID).hangup(aLeg, 'NORMAL_CLEARING');
    const a = JSON.parse(await example.line(new RegExp(`"uuid":"${aLeg}"`))) as Record<string, unknown>;
    const b = JSON.parse(await example.line(new RegExp(`"uuid":"${bLeg}"`))) as Record<string, unknown>;
    assert.deepEqual(
      { leg: a['leg'], call_uuid: a['call_uuid'], other_leg_uuid: a['other_leg_uuid'], direction: a['direction'], caller: a['caller'], destination: a['destination'] },
      { leg: 'a', call_uuid: aLeg, other_leg_uuid: bLeg, direction: 'inbound', caller: '4930222', destination: '7008' },
      JSON.stringify(a),
    );
    assert.deepEqual(
      { leg: b['leg'], call_uuid: b['call_uuid'], other_leg_uuid: b['other_leg_uuid'], direction: b['direction'], destination: b['destination'] },
      { leg: 'b', call_uuid: aLeg, other_leg_uuid: aLeg, direction: 'outbound', destination: '1000' },
      JSON.stringify(b),
    );
    assert.equal(typeof a['billsec'], 'number');
    assert.equal(typeof b['billsec'], 'number');
    assert.equal(await example.interrupt(), 0);
    // Exactly the two legs for the bridged call: one a line to bill.
    const legs = example.lines.filter((l) => l.includes(`"call_uuid":"${aLeg}"`)).map((l) => (JSON.parse(l) as Record<string, unknown>)['leg']);
    assert.deepEqual(legs.sort(), ['a', 'b']);
  });

  void test('cdr-sink: an originated call\'s caller is the number it was placed with, not the flipped caller ID', async (t) => {
    const example = start('cdr-sink');
    // Killed if an assertion fails first: the durable takes one client at a time, and the next test needs it.
    t.after(() => example.kill());
    await example.line(/^cdr-sink: writing one line per finished leg/);
    // An originated call (`fsbus originate --cid-number 4930111 user/1000 '&park()'`): FreeSWITCH
    // flips Caller-Caller-ID-Number to the callee once it answers; the caller is the number it was placed with.
    const call = await bus.originate({ endpoint: 'user/1000', extension: '&park()', callerIdNumber: '4930111' });
    await bus.node(NODE_ID).hangup(call.uuid, 'NORMAL_CLEARING');
    const cdr = JSON.parse(await example.line(new RegExp(`"uuid":"${call.uuid}"`))) as Record<string, unknown>;
    assert.equal(cdr['caller'], '4930111', JSON.stringify(cdr));
    assert.deepEqual(
      { leg: cdr['leg'], call_uuid: cdr['call_uuid'], destination: cdr['destination'] },
      { leg: 'a', call_uuid: call.uuid, destination: '1000' },
      JSON.stringify(cdr),
    );
    assert.equal(await example.interrupt(), 0);
  });

  void test('ivr: answers a parked call, reads the PIN the caller keys in, plays the verdict and hangs up', async () => {
    const example = start('ivr');
    await example.line(/answering parked calls/);
    const seen = bus.events(['channel.execute', 'channel.execute.complete', 'channel.hangup.complete']);
    await seen.ready;
    const call = await bus.originate({ endpoint: 'user/1000', extension: '&park()' });
    const played: string[] = [];
    for await (const e of seen) {
      if (e.uuid !== call.uuid) continue;
      if (e.name === 'CHANNEL_HANGUP_COMPLETE') break;
      // The caller's keypad, once the prompt runs: park drops the digits it gets, as FreeSWITCH's does.
      if (e.name === 'CHANNEL_EXECUTE' && e.application === 'play_and_get_digits') assert.equal(sim.core.control.sendDigits(call.uuid, '1234#'), true);
      if (e.name === 'CHANNEL_EXECUTE_COMPLETE' && e.application === 'playback') played.push(e.applicationData ?? '');
    }
    assert.equal(await example.line(new RegExp(`^${call.uuid}: PIN`)), `${call.uuid}: PIN 1234`);
    assert.deepEqual(played, ['ivr/ivr-welcome.wav']);
    assert.equal(await example.interrupt(), 0);
    assert.ok(!example.lines.some((l) => l.startsWith(`${call.uuid}: FSBUS_`)), example.lines.join('\n'));
  });

  void test('ivr: a caller who hangs up during the prompt is told apart from one who keys no PIN', async () => {
    const example = start('ivr');
    await example.line(/answering parked calls/);
    const seen = bus.events(['channel.execute', 'channel.hangup.complete']);
    await seen.ready;
    const silent = await bus.originate({ endpoint: 'user/1000', extension: '&park()' });
    const gone = await bus.originate({ endpoint: 'user/1000', extension: '&park()' });
    const ended = new Set<string>();
    for await (const e of seen) {
      // Only "#", once per try, keyed once the prompt runs (park drops digits): each try ends empty while the call stays up.
      if (e.uuid === silent.uuid && e.application === 'play_and_get_digits') assert.equal(sim.core.control.sendDigits(silent.uuid, '###'), true);
      // The caller hangs up once the prompt is running.
      if (e.uuid === gone.uuid && e.application === 'play_and_get_digits') await bus.node(NODE_ID).hangup(gone.uuid);
      if (e.name === 'CHANNEL_HANGUP_COMPLETE' && e.uuid !== undefined) ended.add(e.uuid);
      if (ended.has(gone.uuid) && ended.has(silent.uuid)) break;
    }
    assert.equal(await example.line(new RegExp(`^${gone.uuid}: `)), `${gone.uuid}: caller hung up before keying a PIN`);
    assert.equal(await example.line(new RegExp(`^${silent.uuid}: `)), `${silent.uuid}: PIN (none)`);
    assert.equal(await example.interrupt(), 0);
    assert.ok(!example.lines.some((l) => l.includes('FSBUS_')), example.lines.join('\n'));
  });
});
