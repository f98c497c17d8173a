// `fsbus demo` started for a bounded time: live events flow, other commands find it through its
// state file, and Ctrl-C (SIGINT) stops the agent before its broker and leaves no process, port or
// state file behind. Two demos side by side keep a state file each, and the simulator's control
// API each prints drives its calls.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { processAlive } from '@fsbus/testkit';
import { cliEnv, runCli, startCli } from './support/run-cli.js';

type Demo = ReturnType<typeof startCli>;

/** Resolves with whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** What a demo prints once it runs: its broker, its simulator's control API and its state file. */
async function demoLines(demo: Demo): Promise<{ nats: string; control: string; state: string; eslPort: number }> {
  const nats = await demo.waitFor(/nats-server\s+(nats:\/\/127\.0\.0\.1:\d+)/);
  const esl = await demo.waitFor(/Event Socket 127\.0\.0\.1:(\d+)/);
  const control = await demo.waitFor(/sim control\s+(http:\/\/127\.0\.0\.1:\d+)\s/);
  const state = await demo.waitFor(/state file\s+(\S+)/);
  await demo.waitFor(/Ctrl-C stops everything/);
  return { nats: nats[1]!, control: control[1]!, state: state[1]!, eslPort: Number(esl[1]) };
}

/** A failed run still stops the demo through its own shutdown (the wrapper forwards SIGTERM). */
async function stopDemo(demo: Demo): Promise<void> {
  if (demo.child.exitCode !== null) return;
  demo.child.kill('SIGTERM');
  const bound = setTimeout(() => demo.child.kill('SIGKILL'), 20_000);
  await demo.exited;
  clearTimeout(bound);
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

void describe('fsbus demo', () => {
  void it('runs nats-server, the simulator and the agent, streams live events, and stops cleanly on Ctrl-C, its broker last', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fsbus-demo-test-'));
    const env = cliEnv({ FSBUS_DEMO_STATE: join(dir, 'demo.json') });
    const demo = startCli(['demo', '--rate', '5'], env);
    try {
      const nats = await demo.waitFor(/nats-server\s+nats:\/\/127\.0\.0\.1:(\d+)\s+\(JetStream on, pid (\d+)\)/);
      const esl = await demo.waitFor(/Event Socket 127\.0\.0\.1:(\d+)/);
      const metrics = await demo.waitFor(/metrics http:\/\/127\.0\.0\.1:(\d+)\/metrics/);
      const control = await demo.waitFor(/sim control\s+http:\/\/127\.0\.0\.1:(\d+)\s/);
      const natsPort = Number(nats[1]);
      const natsPid = Number(nats[2]);
      const ports = [natsPort, Number(esl[1]), Number(metrics[1]), Number(control[1])];
      const statePath = (await demo.waitFor(/state file\s+(\S+)/))[1]!;
      await demo.waitFor(/Ctrl-C stops everything/);
      // The dashboard (@fsbus/web) joins when it can start; its port must close too.
      const web = /dashboard\s+http:\/\/127\.0\.0\.1:(\d+)\//.exec(demo.stdout());
      if (web !== null) {
        const page = await fetch(`http://127.0.0.1:${web[1]}/`);
        assert.equal(page.status, 200);
        await page.arrayBuffer();
        ports.push(Number(web[1]));
      }
      assert.ok(existsSync(statePath), 'state file written');
      // Live events: a summary line with calls created and answered.
      await demo.waitFor(/events \d+ \(\+\d+, \d+\/s\)\s+channels: [1-9]\d* created, [1-9]\d* answered/);

      // Another terminal: no --server, no env: the state file leads to the demo's broker. The
      // listener for the park check below starts meanwhile.
      const parked = startCli(['events', 'channel.park', '--format', 'json'], env);
      try {
        const [status, events] = await Promise.all([runCli(['status', '--all', '--expect', '1'], env), runCli(['events', 'channel.>', '--count', '5', '--format', 'json'], env)]);
        assert.equal(status.code, 0, status.err);
        assert.match(status.out, /\ndemo-node\s+0\.1\.0\s+\S+\s+nats\s+connected\s+ready/);
        assert.equal(events.code, 0, events.err);
        assert.equal(events.out.trim().split('\n').length, 5);
        // Park mode works in the demo: the simulator asks the agent's dialplan endpoint first, so
        // once it is on, the generated calls are parked by the agent (its marker on the channel).
        await parked.waitFor(/listening on/);
        const enable = await runCli(['dialplan', 'enable'], env);
        assert.equal(enable.code, 0, enable.err);
        await parked.waitFor(/"variable_fsbus_park_node":"demo-node"/);
      } finally {
        parked.child.kill('SIGTERM');
        await parked.exited;
      }
      // The goodbye listener of the Ctrl-C check below starts meanwhile.
      const goodbye = startCli(['events', 'custom.fsbus.agent_stop', '--count', '1', '--format', 'json'], env);
      try {
        const call = await runCli(['originate', 'user/1000', '&park()'], env);
        assert.equal(call.code, 0, call.err);
        // The uuid alone on stdout (it can be handed to `fsbus hangup`), the rest on stderr.
        assert.match(call.out, /^[0-9a-f-]{36}\n$/);
        assert.match(call.err, /^node demo-node, \+OK [0-9a-f-]{36}\n$/);

        // Ctrl-C, which the launcher passes on to the demo's process group: the broker must outlive
        // the agent's graceful stop, so that the agent's goodbye reaches a subscriber.
        await goodbye.waitFor(/listening on/);
        demo.child.kill('SIGINT');
        assert.equal(await demo.exited, 0, demo.output());
        await goodbye.waitFor(/"Event-Subclass":"fsbus::agent_stop"/, 5_000);
      } finally {
        goodbye.child.kill('SIGTERM');
        await goodbye.exited;
      }
      assert.match(demo.stdout(), /fsbus demo: stopped; nothing left running/);
      assert.equal(processAlive(natsPid), false, 'nats-server stopped');
      for (const port of ports) assert.equal(await listening(port), false, `port ${port} closed`);
      assert.equal(existsSync(statePath), false, 'state file removed');
    } finally {
      await stopDemo(demo);
      await rm(dir, { recursive: true, force: true });
    }
  });

  void it("two demos side by side: each prints its simulator's control API, which drives its calls; stopping one leaves the other found", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fsbus-demo-test-'));
    const env = cliEnv({ FSBUS_DEMO_STATE: join(dir, 'demo.json') });
    const first = startCli(['demo', '--rate', '0', '--no-dashboard'], env);
    let second: Demo | undefined;
    try {
      const a = await demoLines(first);
      // Started once the first is up, so it is the newer of the two.
      second = startCli(['demo', '--rate', '0', '--no-dashboard'], env);
      const b = await demoLines(second);
      assert.notEqual(a.state, b.state, 'a state file each');
      assert.ok(existsSync(a.state) && existsSync(b.state));
      for (const d of [a, b]) {
        // The route docs/sim.md documents: the simulator behind the Event Socket the demo printed.
        const res = await fetch(`${d.control}/status`);
        assert.equal(res.status, 200);
        assert.equal((await res.json() as { port?: number }).port, d.eslPort);
      }

      // With both running the CLI takes the newer, and says so; the caller keys digits in there.
      const call = await runCli(['originate', 'user/1000', '&park()'], env);
      assert.equal(call.code, 0, call.err);
      assert.match(call.err, /^fsbus originate: 2 demos are running; using the newest, pid \d+ \(nats:\/\/127\.0\.0\.1:\d+, started [^)]+\); --server or FSBUS_BROKER_URL picks another\n/);
      assert.ok(call.err.includes(b.nats), call.err);
      const uuid = call.out.trim();
      assert.deepEqual(await postJson(`${b.control}/digits`, { uuid, digits: '1234#' }), { status: 200, json: { delivered: true } });
      assert.deepEqual(await postJson(`${a.control}/digits`, { uuid, digits: '1234#' }), { status: 200, json: { delivered: false } });

      second.child.kill('SIGINT');
      assert.equal(await second.exited, 0, second.output());
      assert.equal(existsSync(b.state), false, "the stopped demo's file is gone");
      assert.ok(existsSync(a.state), "the other demo's file is left");
      // Now the first demo's broker: its simulator has the call placed next.
      const next = await runCli(['originate', 'user/1000', '&park()'], env);
      assert.equal(next.code, 0, next.err);
      assert.match(next.err, /^node demo-node, \+OK [0-9a-f-]{36}\n$/);
      assert.deepEqual(await postJson(`${a.control}/digits`, { uuid: next.out.trim(), digits: '1' }), { status: 200, json: { delivered: true } });
    } finally {
      await Promise.all([stopDemo(first), second === undefined ? undefined : stopDemo(second)]);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
