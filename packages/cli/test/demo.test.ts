// `fsbus demo` started for a bounded time: live events flow, other commands find it through its
// state file, and Ctrl-C (SIGINT) stops the agent before its broker and leaves no process, port or
// state file behind.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { processAlive } from '@fsbus/testkit';
import { cliEnv, runCli, startCli } from './support/run-cli.js';

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

void describe('fsbus demo', () => {
  void it('runs nats-server, the simulator and the agent, streams live events, and stops cleanly on Ctrl-C, its broker last', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fsbus-demo-test-'));
    const statePath = join(dir, 'demo.json');
    const env = cliEnv({ FSBUS_DEMO_STATE: statePath });
    const demo = startCli(['demo', '--rate', '5'], env);
    try {
      const nats = await demo.waitFor(/nats-server\s+nats:\/\/127\.0\.0\.1:(\d+)\s+\(JetStream on, pid (\d+)\)/);
      const esl = await demo.waitFor(/Event Socket 127\.0\.0\.1:(\d+)/);
      const metrics = await demo.waitFor(/metrics http:\/\/127\.0\.0\.1:(\d+)\/metrics/);
      const natsPort = Number(nats[1]);
      const natsPid = Number(nats[2]);
      const ports = [natsPort, Number(esl[1]), Number(metrics[1])];
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

      // Another terminal: no --server, no env: the state file leads to the demo's broker.
      const status = await runCli(['status', '--all', '--expect', '1'], env);
      assert.equal(status.code, 0, status.err);
      assert.match(status.out, /\ndemo-node\s+0\.1\.0\s+\S+\s+nats\s+connected\s+ready/);
      const events = await runCli(['events', 'channel.>', '--count', '5', '--format', 'json'], env);
      assert.equal(events.code, 0, events.err);
      assert.equal(events.out.trim().split('\n').length, 5);
      // Park mode works in the demo: the simulator asks the agent's dialplan endpoint first, so
      // once it is on, the generated calls are parked by the agent (its marker on the channel).
      const parked = startCli(['events', 'channel.park', '--format', 'json'], env);
      try {
        await parked.waitFor(/listening on/);
        const enable = await runCli(['dialplan', 'enable'], env);
        assert.equal(enable.code, 0, enable.err);
        await parked.waitFor(/"variable_fsbus_park_node":"demo-node"/);
      } finally {
        parked.child.kill('SIGTERM');
        await parked.exited;
      }
      const call = await runCli(['originate', 'user/1000', '&park()'], env);
      assert.equal(call.code, 0, call.err);
      // The uuid alone on stdout (it can be handed to `fsbus hangup`), the rest on stderr.
      assert.match(call.out, /^[0-9a-f-]{36}\n$/);
      assert.match(call.err, /^node demo-node, \+OK [0-9a-f-]{36}\n$/);

      // Ctrl-C, which the launcher passes on to the demo's process group: the broker must outlive
      // the agent's graceful stop, so that the agent's goodbye reaches a subscriber.
      const goodbye = startCli(['events', 'custom.fsbus.agent_stop', '--count', '1', '--format', 'json'], env);
      try {
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
      if (demo.child.exitCode === null) {
        // A failed run still stops the demo through its own shutdown (the wrapper forwards SIGTERM).
        demo.child.kill('SIGTERM');
        const bound = setTimeout(() => demo.child.kill('SIGKILL'), 20_000);
        await demo.exited;
        clearTimeout(bound);
      }
      await rm(dir, { recursive: true, force: true });
    }
  });
});
