// fsbus api/originate/hangup/events/status/dialplan as child processes against a simulated node,
// bridged by a real agent on a real nats-server: output and exit codes.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Simulator } from '@fsbus/sim';
import { encodeReply, successReply } from '@fsbus/contract';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { createDriver } from '@fsbus/transport';
import { startBridgedNode, type BridgedNode } from './support/bridged-node.js';
import { BIN, cliEnv, runCli, runCliMany, startCli, type CliResult } from './support/run-cli.js';

void describe('fsbus bus commands (child processes)', () => {
  let nats: NatsServerHandle;
  let sim: Simulator;
  let node: BridgedNode;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    node = await startBridgedNode('cli-node');
    ({ nats, sim } = node);
    // Through the env, as an operator would: FSBUS_BROKER_URL is the agent's own variable.
    env = cliEnv({ FSBUS_BROKER_URL: nats.url, FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' });
  });
  after(async () => {
    await node.stop();
  });

  void it('api prints the output; --json the envelope; errors print code + hint and exit 1', async () => {
    const [ok, json, bad] = (await runCliMany([['api', 'status'], ['api', 'echo', 'hi', 'there', '--json'], ['api', 'no_such_thing']], env)) as [CliResult, CliResult, CliResult];
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /is ready/);
    assert.equal(json.code, 0, json.err);
    const reply = JSON.parse(json.out) as Record<string, unknown>;
    assert.equal(reply['data'], 'hi there');
    assert.equal(reply['node_id'], 'cli-node');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /-ERR no_such_thing Command not found!/);
    assert.match(bad.err, /FSBUS_ERR_BUS_COMMAND_FAILED: API command failed \(node cli-node\)/);
    assert.match(bad.err, /^hint: /m);
  });

  void it('originate prints the uuid; events shows the call; hangup ends it', async () => {
    const events = startCli(['events', 'channel.answer', 'channel.hangup.complete', '--format', 'json', '--count', '2'], env);
    try {
      await events.waitFor(/listening on freeswitch\.events\.channel\.answer, freeswitch\.events\.channel\.hangup\.complete/);
      // stdout is the uuid alone, as `fsbus hangup $(fsbus originate …)` needs; the rest on stderr.
      const call = await runCli(['originate', 'user/1000', '&park()', '--cid-number', '5550100'], env);
      assert.equal(call.code, 0, call.err);
      assert.match(call.out, /^[0-9a-f-]{36}\n$/);
      const uuid = call.out.trim();
      assert.equal(call.err, `node cli-node, +OK ${uuid}\n`);
      const hang = await runCli(['hangup', uuid, 'CALL_REJECTED', '--node', 'cli-node'], env);
      assert.equal(hang.code, 0, hang.err);
      assert.equal(hang.out.trim(), `hung up ${uuid}`);
      assert.equal(await events.exited, 0, events.output());
      const seen = events.stdout().trim().split('\n').map((l) => JSON.parse(l) as { event_name: string; uuid: string; headers: Record<string, string> });
      assert.deepEqual(seen.map((e) => [e.event_name, e.uuid]), [['CHANNEL_ANSWER', uuid], ['CHANNEL_HANGUP_COMPLETE', uuid]]);
      assert.equal(seen[1]!.headers['Hangup-Cause'], 'CALL_REJECTED');
      // The call is gone: both asked at once, neither changes what the other finds.
      const [again, gone] = (await runCliMany([['hangup', uuid], ['hangup', uuid, '--node', 'cli-node']], env)) as [CliResult, CliResult];
      assert.equal(again.code, 1);
      // Looked up first (uuid_exists): no node has it, and no uuid_kill was sent to fail.
      assert.match(again.err, new RegExp(`^fsbus hangup: FSBUS_ERR_BUS_SESSION_NOT_FOUND: no node has channel ${uuid} \\(asked cli-node\\)$`, 'm'));
      // Named with --node: the agent's uuid_kill answers, and says the channel is gone as execute_app does.
      assert.equal(gone.code, 1, gone.err);
      assert.equal(
        gone.err,
        `fsbus hangup: FSBUS_ERR_BUS_SESSION_NOT_FOUND: Channel hangup failed: no such channel (node cli-node)\n` +
          `hint: node cli-node has no channel ${uuid}: it ended, or it is on another node (without --node, fsbus hangup looks the node up)\n`,
      );
    } finally {
      events.child.kill('SIGKILL');
    }
  });

  // Only the launcher that runs the sources in a child (no dist/ build); /proc is Linux's.
  const launcherSpawns = !existsSync(new URL('../dist/main.js', import.meta.url)) && process.platform === 'linux';
  void it('a launcher killed with SIGKILL (no signal to pass on) does not leave its child running', { skip: launcherSpawns ? false : 'built (dist/) or not Linux: no launcher child' }, async () => {
    const events = startCli(['events', 'custom.cli.orphan'], env);
    await events.waitFor(/listening on/);
    // The child (src/main.ts through tsx) writes to the same stdout: it closes once the child is gone.
    const launcher = events.child.pid!;
    // Its children, from /proc, so a failing run does not leave the orphan behind either.
    const children = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/).map(Number);
    assert.equal(children.length, 1);
    let timer: NodeJS.Timeout | undefined;
    const closed = new Promise<boolean>((resolve) => {
      events.child.stdout.once('close', () => resolve(true));
      timer = setTimeout(() => resolve(false), 20_000);
    });
    events.child.kill('SIGKILL');
    const ended = await closed;
    clearTimeout(timer);
    if (!ended) for (const pid of children) process.kill(pid, 'SIGKILL');
    assert.ok(ended, 'the child of the killed launcher was still running 20 s later');
  });

  void it('a child whose launcher was gone before it started stops as on SIGTERM, without a TypeError', { skip: launcherSpawns ? false : 'built (dist/) or not Linux: no launcher child' }, async (t) => {
    // As bin/fsbus.js starts it, but the IPC channel is closed at once (a launcher killed right
    // after the spawn): by the time the sources are loaded, process.channel is null.
    const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', source, 'events', 'custom.cli.orphan'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env });
    t.after(() => void child.kill('SIGKILL')); // a no-op once it has exited
    child.disconnect();
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    assert.doesNotMatch(err, /TypeError/);
    assert.deepEqual([code, signal], [null, 'SIGTERM'], err);
  });

  void it('a launcher whose child was killed by a signal exits 128 + its number, as the built CLI would die', { skip: launcherSpawns ? false : 'built (dist/) or not Linux: no launcher child' }, async () => {
    const events = startCli(['events', 'custom.cli.killed'], env);
    await events.waitFor(/listening on/);
    const launcher = events.child.pid!;
    const [child] = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8').trim().split(/\s+/).map(Number);
    process.kill(child!, 'SIGKILL');
    assert.equal(await events.exited, 137);
  });

  void it('a terminal\'s Ctrl-C (SIGINT to the whole foreground group) reaches the command once: fsbus sim stops cleanly, exit 0', async () => {
    // sim takes the first SIGINT as "stop" and leaves a second to its default action (exit 130).
    const sim = startCli(['sim', '--port', '0'], env, { groupLeader: true });
    try {
      await sim.waitFor(/listening on/);
      process.kill(-sim.child.pid!, 'SIGINT');
      assert.equal(await sim.exited, 0, sim.output());
    } finally {
      if (sim.child.exitCode === null) sim.child.kill('SIGKILL');
    }
  });

  void it('events prints one line per event (json or pretty), stops after --count, and exits 0 on SIGTERM', async () => {
    const json = startCli(['events', 'custom.cli.test', '--format', 'json', '--count', '3'], env);
    const pretty = startCli(['events', 'custom.cli.>'], env);
    try {
      await Promise.all([json.waitFor(/listening on/), pretty.waitFor(/listening on/)]);
      sim.core.control.injectEvents({ name: 'CUSTOM', subclass: 'cli::test', count: 3 });
      assert.equal(await json.exited, 0, json.output());
      const lines = json.stdout().trim().split('\n');
      assert.equal(lines.length, 3);
      for (const line of lines) {
        const e = JSON.parse(line) as Record<string, unknown>;
        assert.equal(e['event_name'], 'CUSTOM');
        assert.equal(e['node_id'], 'cli-node');
      }
      await pretty.waitFor(/(cli::test[\s\S]*){3}/);
      pretty.child.kill('SIGTERM');
      assert.equal(await pretty.exited, 0, pretty.output());
      const prettyLines = pretty.stdout().trim().split('\n');
      assert.equal(prettyLines.length, 3);
      assert.match(prettyLines[0]!, /^\d\d:\d\d:\d\d\.\d{3} cli-node CUSTOM\s+-\s+cli::test$/);
    } finally {
      json.child.kill('SIGKILL');
      pretty.child.kill('SIGKILL');
    }
  });

  void it('status prints a table; --all gathers; --json prints JSON', async () => {
    // Side by side: each gathers on its own inbox, the node answers each.
    const [one, all, other, slow, mine] = (await runCliMany(
      [
        ['status'],
        ['status', '--all', '--expect', '1', '--json'],
        ['status', '--all', '--node', 'other-node', '--timeout', '300'],
        ['api', 'msleep', '1000', '--all', '--timeout', '300'],
        ['status', '--all', '--node', 'cli-node', '--expect', '1', '--json'],
      ],
      env,
      5,
    )) as [CliResult, CliResult, CliResult, CliResult, CliResult];
    assert.equal(one.code, 0, one.err);
    assert.match(one.out, /^NODE\s+VERSION\s+UPTIME\s+DRIVER\s+BROKER\s+ESL/);
    assert.match(one.out, /\ncli-node\s+0\.1\.0\s+\S+\s+nats\s+connected\s+ready/);
    assert.equal(all.code, 0, all.err);
    const list = JSON.parse(all.out) as Array<{ node_id: string }>;
    assert.deepEqual(
      list.map((s) => s.node_id),
      ['cli-node'],
    );
    // --node narrows the gather: the only node here is another one, so nobody answers.
    assert.equal(other.code, 4, other.out);
    assert.match(other.err, /no node replied/);
    // Nobody, or a node slower than the window: the hint says both.
    assert.match(other.err, /^hint: is `fsbus agent` running for this prefix\? \(--prefix, --server\); a node slower than the 300 ms window is not heard: raise --timeout$/m);
    assert.equal(slow.code, 4, slow.err);
    assert.match(slow.err, /^fsbus api: no node replied$/m);
    assert.match(slow.err, /^hint: .*; a node slower than the 300 ms window is not heard \(it may still run the command\): raise --timeout$/m);
    assert.deepEqual((JSON.parse(mine.out) as Array<{ node_id: string }>).map((s) => s.node_id), ['cli-node']);
  });

  void it('originate waits ring time + 5 s (at least 30 s) unless --timeout is given: the timeout_ms it sends', async () => {
    const lane = await createDriver('nats', { urls: [nats.url] });
    await lane.connect();
    const extras = [[], ['--ring-timeout', '20'], ['--ring-timeout', '120'], ['--timeout', '300']];
    // A prefix per run, so that they can run side by side and each timeout_ms is still the one its flags gave.
    const sent: unknown[][] = extras.map(() => []);
    extras.forEach((_, i) => {
      lane.serve({ subject: `waitdemo${i}.api`, competing: true }, (req) => {
        sent[i]!.push((JSON.parse(new TextDecoder().decode(req.data)) as Record<string, unknown>)['timeout_ms']);
        return encodeReply(successReply({ nodeId: 'wait-node', message: 'Call originated successfully', data: { uuid: 'u', job_uuid: 'j', result: '+OK u' } }));
      });
    });
    await lane.flush();
    try {
      const runs = await runCliMany(extras.map((extra, i) => ['originate', 'user/1000', '&park()', '--prefix', `waitdemo${i}`, ...extra]), env);
      for (const r of runs) assert.equal(r.code, 0, r.err);
      assert.deepEqual(sent, [[65_000], [30_000], [125_000], [300]]);
    } finally {
      await lane.close();
    }
  });

  void it('output that cannot be written: a reader gone (| head) ends quietly, a full disk is one line and exit 1; -h after -- is the command\'s', async (t) => {
    // Whatever fails below, no child is left running.
    const children: Array<{ kill(signal: NodeJS.Signals): boolean }> = [];
    t.after(() => children.forEach((c) => c.kill('SIGKILL')));
    // The four side by side (each its own child and output). The read end closed before the reply is printed: the write gets EPIPE.
    const goneRun = new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, 'api', 'status'], { stdio: ['ignore', 'pipe', 'pipe'], env });
      children.push(child);
      child.stdout.destroy();
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (code) => resolve({ code, err }));
    });
    const echoRun = runCli(['api', '--', 'echo', '-h'], env);
    const full = openSync('/dev/full', 'w');
    try {
      const fullRun = new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'api', 'status'], { stdio: ['ignore', full, 'pipe'], env });
        children.push(child);
        let err = '';
        child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (code) => resolve({ code, err }));
      });
      // events too: its stream ends, and says why.
      const streamRun = new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'events', 'custom.cli.full'], { stdio: ['ignore', full, 'pipe'], env });
        children.push(child);
        let err = '';
        let injected = false;
        child.stderr!.on('data', (d: Buffer) => {
          err += d.toString();
          if (injected || !/listening on/.test(err)) return;
          injected = true;
          sim.core.control.injectEvents({ name: 'CUSTOM', subclass: 'cli::full', count: 1 });
        });
        child.on('exit', (code) => resolve({ code, err }));
      });
      const [gone, r, stream] = await Promise.all([goneRun, fullRun, streamRun]);
      assert.equal(gone.code, 0, gone.err);
      assert.equal(gone.err, '(node cli-node)\n');
      assert.equal(r.code, 1);
      assert.match(r.err, /ENOSPC/);
      assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
      assert.equal(stream.code, 1, stream.err);
      assert.match(stream.err, /fsbus events: cannot write the output: ENOSPC/);
      // Said once: the writes still buffered after the first failure are not said again by main's guard.
      assert.equal(stream.err.match(/cannot write the output/g)?.length, 1, stream.err);
    } finally {
      closeSync(full);
    }
    const echo = await echoRun;
    assert.equal(echo.code, 0, echo.err);
    assert.equal(echo.out.trim(), '-h');
  });

  void it('no agent: exit 4 with a hint; no broker: exit 3; bad flags: exit 2; --help: exit 0 with examples', async () => {
    // Something that is not NATS on that port: the connect times out and fsbus still exits
    // (nats.js keeps such a socket open; the process must not wait for the peer to close it).
    // --timeout 300 bounds the connect wait (CONNECT_TIMEOUT_MS otherwise): the same timeout, sooner.
    const silent = createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const usages = [['api'], ['originate', 'user/1000'], ['events', '--count', 'x'], ['events', '--from', 'May 5'], ['events', '--from', '2026-02-30'], ['dialplan', 'frobnicate'], ['api', 'status', '--timeout', 'soon'], ['status', '--bogus']];
    const helps = ['api', 'originate', 'hangup', 'events', 'status', 'dialplan', 'demo'];
    let runs: CliResult[];
    try {
      // Independent of each other: side by side.
      runs = await runCliMany(
        [
          ['status', '--node', 'ghost'],
          ['api', 'status', '--prefix', 'nobody', '--timeout', '300'],
          ['api', 'status', '--server', 'nats://127.0.0.1:1'],
          ['api', 'status', '--server', `nats://127.0.0.1:${(silent.address() as AddressInfo).port}`, '--timeout', '300'],
          ...usages,
          ...helps.map((name) => [name, '--help']),
        ],
        env,
      );
    } finally {
      silent.close();
    }
    const [ghost, slow, down, other] = runs as [CliResult, CliResult, CliResult, CliResult];
    assert.equal(ghost.code, 4);
    assert.match(ghost.err, /FSBUS_ERR_CLIENT_NO_RESPONDERS/);
    // A node not ready still answers on its own lane (FREESWITCH_UNAVAILABLE): nobody there is no agent of that id.
    assert.match(ghost.err, /^hint: no agent serves node ghost for this prefix: is it running\? `fsbus status --all` lists the nodes$/m);
    assert.equal(slow.code, 4);
    assert.equal(down.code, 3);
    assert.match(down.err, /FSBUS_ERR_CLIENT_CONNECT/);
    assert.equal(other.code, 3, other.err);
    assert.match(other.err, /FSBUS_ERR_CLIENT_CONNECT/);
    // `--from 'May 5'` would be 5 May 2001 to `new Date` (the whole stream replayed), 2026-02-30 2 March.
    usages.forEach((args, i) => {
      const r = runs[4 + i]!;
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    });
    helps.forEach((name, i) => {
      const help = runs[4 + usages.length + i]!;
      assert.equal(help.code, 0);
      assert.match(help.out, new RegExp(`usage: fsbus ${name}`));
      if (name !== 'demo') assert.match(help.out, /examples:[\s\S]*exit codes:/);
    });
  });

  void it('events from a stream that does not exist: FSBUS_ERR_CLIENT_STREAM, a stream hint, exit 1 (not "connection lost", 3)', async () => {
    // The second part's broker starts meanwhile.
    const jsStarted = startNatsServer({ jetstream: true });
    try {
      const r = await runCli(['events', '--from', 'all', '--stream', 'NOPE'], env);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, /FSBUS_ERR_CLIENT_STREAM: events: .*NOPE/);
      assert.match(r.err, /^hint: no event stream: is the agent running with events\.stream\.enabled\? check --stream\/--prefix/m);
      assert.doesNotMatch(r.err, /connection was lost/);
      // A durable name reused with another pattern: the same code, a hint about the name.
      const js = await jsStarted;
      const admin = await createDriver('nats', { urls: [js.url] });
      try {
        await admin.connect();
        await admin.ensureStream({ name: 'FREESWITCH_EVENTS', subjects: ['freeswitch.events.>'], storage: 'memory' });
        const jsEnv = cliEnv({ FSBUS_BROKER_URL: js.url, FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' });
        const first = startCli(['events', 'channel.>', '--durable', 'audit'], jsEnv);
        try {
          await first.waitFor(/listening on/);
          first.child.kill('SIGTERM');
          assert.equal(await first.exited, 0, first.output());
        } finally {
          first.child.kill('SIGKILL');
        }
        const other = await runCli(['events', 'custom.>', '--durable', 'audit'], jsEnv);
        assert.equal(other.code, 1, other.err);
        assert.match(other.err, /FSBUS_ERR_CLIENT_STREAM: .*'audit'.*'freeswitch\.events\.channel\.>'/);
        assert.match(other.err, /^hint: a --durable name keeps the pattern it was first used with/m);
      } finally {
        await admin.close();
      }
    } finally {
      await jsStarted.then((js) => js.stop(), () => undefined);
    }
  });

  void it('reads the password from MOD_EVENT_AGENT_PASSWORD too; refused credentials get a credentials hint (exit 3)', async () => {
    const locked = await startNatsServer({ user: { name: 'ops', password: 's3cret' } });
    try {
      const base = cliEnv({ FSBUS_BROKER_URL: locked.url, FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json', FSBUS_BROKER_USER: 'ops' });
      // Connected (no agent on this broker answers: exit 4, not 3).
      const [alias, wrong] = await Promise.all([runCli(['status', '--timeout', '300'], { ...base, MOD_EVENT_AGENT_PASSWORD: 's3cret' }), runCli(['status'], { ...base, FSBUS_BROKER_PASSWORD: 'nope' })]);
      assert.equal(alias.code, 4, alias.err);
      assert.match(alias.err, /FSBUS_ERR_CLIENT_NO_RESPONDERS/);
      assert.equal(wrong.code, 3, wrong.err);
      assert.match(wrong.err, /FSBUS_ERR_CLIENT_CONNECT: .*Authorization Violation/);
      assert.match(wrong.err, /^hint: the broker refused the credentials: check FSBUS_BROKER_USER and FSBUS_BROKER_PASSWORD, FSBUS_BROKER_TOKEN or FSBUS_BROKER_NKEY_SEED/m);
      assert.doesNotMatch(wrong.err, /is the broker running/);
    } finally {
      await locked.stop();
    }
  });

  void it('--json prints the reply envelope on stdout for a refusal too (exit 1); api originate/hangup point at the commands', async () => {
    const [failed, originate, hangup, other] = (await runCliMany(
      [['api', 'no_such_thing', '--json'], ['api', 'originate', 'user/1000 &park()', '--json'], ['api', 'hangup', 'x'], ['originate', 'user/1000', '&park()', '--uuid', 'x', '--json']],
      env,
    )) as [CliResult, CliResult, CliResult, CliResult];
    assert.equal(failed.code, 1, failed.err);
    const reply = JSON.parse(failed.out) as { success: boolean; code: string; node_id: string; data: string };
    assert.equal(reply.success, false);
    assert.equal(reply.code, 'FSBUS_ERR_BUS_COMMAND_FAILED');
    assert.equal(reply.node_id, 'cli-node');
    assert.match(reply.data, /-ERR no_such_thing Command not found!/);
    assert.match(failed.err, /FSBUS_ERR_BUS_COMMAND_FAILED/);

    assert.equal(originate.code, 1, originate.err);
    assert.equal((JSON.parse(originate.out) as { code: string }).code, 'FSBUS_ERR_BUS_INVALID_ARGUMENT');
    assert.match(originate.err, /^hint: `originate` is the agent's own command: use `fsbus originate <endpoint> <ext\|&app\(args\)>`/m);
    assert.equal(hangup.code, 1, hangup.err);
    assert.equal(hangup.out, '');
    assert.match(hangup.err, /FSBUS_ERR_BUS_INVALID_ARGUMENT/);
    assert.match(hangup.err, /^hint: `hangup` is the agent's own command: use `fsbus hangup <uuid> \[cause\]`/m);
    assert.equal(other.code, 1, other.err);
    assert.equal((JSON.parse(other.out) as { success: boolean }).success, false);
    assert.match(other.err, /^hint: a field was refused; see --help/m);
  });

  void it('originate --json prints uuid, jobUuid, result and nodeId', async () => {
    const call = await runCli(['originate', 'user/1000', '&park()', '--json'], env);
    assert.equal(call.code, 0, call.err);
    const result = JSON.parse(call.out) as { uuid: string; jobUuid: string; result: string; nodeId: string };
    assert.deepEqual(Object.keys(result).sort(), ['jobUuid', 'nodeId', 'result', 'uuid']);
    assert.equal(result.nodeId, 'cli-node');
    assert.equal(result.result.trim(), `+OK ${result.uuid}`);
    assert.equal((await runCli(['hangup', result.uuid, '--node', 'cli-node'], env)).code, 0);
  });

  void it('events says on stderr when the broker goes away and when it is back, and keeps listening', async () => {
    const flaky = await startNatsServer();
    const events = startCli(['events'], cliEnv({ FSBUS_BROKER_URL: flaky.url, FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' }));
    try {
      await events.waitFor(/listening on/);
      await flaky.halt();
      await events.waitFor(/fsbus events: the broker connection was lost; reconnecting \(events published meanwhile are missed\)/);
      await flaky.start();
      await events.waitFor(/fsbus events: reconnected to /);
      events.child.kill('SIGTERM');
      assert.equal(await events.exited, 0, events.output());
      assert.equal(events.stdout(), '');
    } finally {
      events.child.kill('SIGKILL');
      await flaky.stop();
    }
  });

  void it('dialplan sends the dialplan.* command with its fields and prints the reply', async () => {
    // Park mode arrives in the agent with the call-control issue: a lane answering as the
    // contract says stands in for it, on the same broker, under its own prefix.
    const lane = await createDriver('nats', { urls: [nats.url] });
    await lane.connect();
    const seen: Array<Record<string, unknown>> = [];
    lane.serve({ subject: 'parkdemo.api', competing: true }, (req) => {
      seen.push(JSON.parse(new TextDecoder().decode(req.data)) as Record<string, unknown>);
      return encodeReply(successReply({ nodeId: 'park-node', message: 'Audio mode updated', data: { mode: 'music' } }));
    });
    await lane.flush();
    try {
      // Side by side: each request is told apart by its command, one each.
      const [r, on] = (await runCliMany([['dialplan', 'audio', 'music', 'moh', '--prefix', 'parkdemo'], ['dialplan', 'autoanswer', 'on', '--prefix', 'parkdemo', '--json']], env)) as [CliResult, CliResult];
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^Audio mode updated \(node park-node\)/);
      assert.equal(seen.length, 2);
      const audio = seen.filter((x) => x['command'] === 'dialplan.audio');
      assert.equal(audio.length, 1);
      assert.equal(audio[0]!['mode'], 'music');
      assert.equal(audio[0]!['music_class'], 'moh');
      assert.equal(on.code, 0, on.err);
      const autoanswer = seen.filter((x) => x['command'] === 'dialplan.autoanswer');
      assert.equal(autoanswer.length, 1);
      assert.equal(autoanswer[0]!['enabled'], true);
      assert.equal((JSON.parse(on.out) as { success: boolean }).success, true);
    } finally {
      await lane.close();
    }
  });
});
