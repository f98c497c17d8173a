// What an on-call engineer scripting the CLI found (child processes, real nats-server, real agents;
// a raw @nats-io/transport-node connection where one side of a race must win for sure): a slow
// FreeSWITCH exited 1 or 4 by who timed out first; `status --all --json` with nobody answering
// printed nothing for `jq`; `--expect` counted a node whose FreeSWITCH is down; `api --all --json`
// said nothing on stderr; a global option before the command read as an unknown command;
// `hangup` had no --json.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { BusErrorCode, encodeReply, errorReply, successReply } from '@fsbus/contract';
import { agentUntil, startCliCluster, type CliCluster } from './support/cli-cluster.js';
import { runCli, runCliMany, type CliResult } from './support/run-cli.js';
import { runMain } from './support/run-main.js';

/** stdout is one JSON document (what `jq` needs), whichever it is. */
const jsonOf = (out: string): unknown => {
  assert.notEqual(out.trim(), '', 'stdout is empty: no JSON document for jq');
  return JSON.parse(out) as unknown;
};

/** The timeout's code, from the agent's envelope or the CLI's own error document. */
const codeOf = (doc: unknown): unknown => {
  const d = doc as { code?: unknown; error?: { code?: unknown } };
  return d.error?.code ?? d.code;
};

void describe('fsbus for scripts: exit codes and --json', () => {
  let cluster: CliCluster;
  let raw: NatsConnection;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    cluster = await startCliCluster(['fs-a', 'fs-b']);
    env = cluster.env;
    raw = await natsConnect({ servers: cluster.nats.url, name: 'scripted-peer' });
  });
  after(async () => {
    await raw?.close();
    await cluster?.stop();
  });

  void it('no answer in time is exit 4 with a JSON document on stdout, whichever side timed out', async () => {
    // The client's own timeout, for sure: a node that takes the request and never answers.
    const silent = raw.subscribe('freeswitch.node.fs-silent', { callback: () => undefined });
    // The agent's, for sure: a node that answers FSBUS_ERR_BUS_TIMEOUT at once.
    const slow = raw.subscribe('freeswitch.node.fs-slow', {
      callback: (_err, m) => void m.respond(encodeReply(errorReply({ nodeId: 'fs-slow', message: 'FreeSWITCH did not answer in 1000 ms', code: BusErrorCode.TIMEOUT }))),
    });
    await raw.flush();
    // The repro: a FreeSWITCH slower than --timeout, the same wait on both sides; either may win.
    const sim = cluster.sims[1]!;
    sim.core.control.setLatency(4000);
    try {
      // Three nodes apart: side by side.
      const [client, agent, r] = (await runCliMany(
        [
          ['api', 'status', '--node', 'fs-silent', '--timeout', '300', '--json'],
          ['api', 'status', '--node', 'fs-slow', '--json'],
          ['api', 'status', '--node', 'fs-b', '--timeout', '1000', '--json'],
        ],
        env,
      )) as [CliResult, CliResult, CliResult];
      assert.equal(client.code, 4, client.err);
      assert.equal(codeOf(jsonOf(client.out)), 'FSBUS_ERR_CLIENT_TIMEOUT');
      assert.deepEqual(Object.keys((jsonOf(client.out) as { error: object }).error).sort(), ['code', 'message']);
      assert.match(client.err, /^fsbus api: FSBUS_ERR_CLIENT_TIMEOUT: /m);
      assert.equal(agent.code, 4, agent.err);
      assert.equal(codeOf(jsonOf(agent.out)), 'FSBUS_ERR_BUS_TIMEOUT');
      assert.match(agent.err, /^fsbus api: FSBUS_ERR_BUS_TIMEOUT: /m);
      assert.equal(r.code, 4, r.err);
      assert.match(String(codeOf(jsonOf(r.out))), /^FSBUS_ERR_(CLIENT|BUS)_TIMEOUT$/);
    } finally {
      silent.unsubscribe();
      slow.unsubscribe();
      sim.core.control.setLatency(0);
    }
  });

  void it('status --all --json with no node answering prints [] (exit 4)', async () => {
    const [r, api] = (await runCliMany([['status', '--all', '--prefix', 'nope', '--timeout', '200', '--json'], ['api', 'status', '--all', '--prefix', 'nope', '--timeout', '200', '--json']], env)) as [CliResult, CliResult];
    assert.equal(r.code, 4, r.err);
    assert.deepEqual(jsonOf(r.out), []);
    assert.match(r.err, /no node replied/);
    assert.equal(api.code, 4, api.err);
    assert.deepEqual(jsonOf(api.out), []);
  });

  void it('api --all --json with every node failing: the JSON on stdout, each error and hint on stderr', async () => {
    const r = await runCli(['api', 'nosuchcmd', '--all', '--expect', 'fs-a,fs-b', '--json'], env);
    assert.equal(r.code, 1, r.err);
    const replies = jsonOf(r.out) as Array<{ node_id: string; success: boolean }>;
    assert.deepEqual(replies.map((x) => [x.node_id, x.success]), [['fs-a', false], ['fs-b', false]]);
    for (const node of ['fs-a', 'fs-b']) assert.match(r.err, new RegExp(`^fsbus api: FSBUS_ERR_BUS_COMMAND_FAILED: .*\\(node ${node}\\)$`, 'm'));
    assert.match(r.err, /^hint: /m);
  });

  void it('a global option before the command says options go after it (exit 2)', async () => {
    const r = await runMain(['-s', 'nats://127.0.0.1:4222', 'status']);
    assert.equal(r.code, 2, r.err);
    assert.doesNotMatch(r.err, /unknown command/);
    assert.match(r.err, /^fsbus: options go after the command: fsbus status -s …/m);
    assert.doesNotMatch(r.err, /127\.0\.0\.1/, 'values (a URL may carry a password) are not echoed');
    const none = await runMain(['--timeout', '5']);
    assert.equal(none.code, 2, none.err);
    assert.match(none.err, /^fsbus: options go after the command: fsbus <command> --timeout …/m);
  });

  void it('hangup --json prints the reply envelope (exit 0), and a JSON document when nothing was hung up (exit 1)', async () => {
    const call = await runCli(['originate', 'user/1000', '&park()', '--node', 'fs-a'], env);
    assert.equal(call.code, 0, call.err);
    const uuid = call.out.trim();
    const r = await runCli(['hangup', uuid, '--json'], env);
    assert.equal(r.code, 0, r.err);
    const reply = jsonOf(r.out) as { success: boolean; node_id: string };
    assert.equal(reply.success, true);
    assert.equal(reply.node_id, 'fs-a');
    // The call is gone: both asked at once.
    const [gone, named] = (await runCliMany([['hangup', uuid, '--json'], ['hangup', uuid, '--node', 'fs-b', '--json']], env)) as [CliResult, CliResult];
    assert.equal(gone.code, 1, gone.err);
    assert.equal(codeOf(jsonOf(gone.out)), 'FSBUS_ERR_BUS_SESSION_NOT_FOUND');
    assert.match(gone.err, /^fsbus hangup: FSBUS_ERR_BUS_SESSION_NOT_FOUND: /m);
    assert.equal(named.code, 1, named.err);
    assert.equal(codeOf(jsonOf(named.out)), 'FSBUS_ERR_BUS_SESSION_NOT_FOUND');
  });

  void it("status --ready follows the agent's own ready field; an older agent's reply without it is judged from its fields", async () => {
    // Fields that look ready: only the agent's own `ready` can say otherwise.
    const looksReady = { version: '0.1.0', uptime: 5, driver: 'nats', connected: true, broker: { status: 'connected' }, esl: { status: 'ready', events_subscription: 'confirmed', command_connections_ready: 1 }, counters: {}, shared_lanes: { state: 'joined', cordoned: false } };
    const answer = (node: string, data: object) =>
      raw.subscribe(`freeswitch.node.${node}`, { callback: (_err, m) => void m.respond(encodeReply(successReply({ nodeId: node, message: 'Agent status retrieved', data: { node_id: node, ...data } }))) });
    const subs = [
      answer('fs-says-no', { ...looksReady, ready: false, not_ready_reason: 'joining the shared lanes' }),
      answer('fs-old', looksReady),
      answer('fs-old-down', { ...looksReady, esl: { status: 'reconnecting' } }),
    ];
    await raw.flush();
    try {
      const [no, json, old, oldDown] = (await runCliMany(
        [
          ['status', '--node', 'fs-says-no', '--ready'],
          ['status', '--node', 'fs-says-no', '--ready', '--json'],
          ['status', '--node', 'fs-old', '--ready'],
          ['status', '--node', 'fs-old-down', '--ready'],
        ],
        env,
      )) as [CliResult, CliResult, CliResult, CliResult];
      assert.equal(no.code, 4, no.err);
      assert.match(no.err, /^fsbus status: not ready: fs-says-no \(joining the shared lanes\) \(--ready\)$/m);
      assert.equal(json.code, 4, json.err);
      assert.deepEqual((({ ready, not_ready_reason }) => ({ ready, not_ready_reason }))(jsonOf(json.out) as { ready: unknown; not_ready_reason: unknown }), { ready: false, not_ready_reason: 'joining the shared lanes' });
      assert.equal(old.code, 0, old.err);
      assert.equal(oldDown.code, 4, oldDown.err);
      assert.match(oldDown.err, /not ready: fs-old-down \(ESL reconnecting\)/);
    } finally {
      for (const s of subs) s.unsubscribe();
    }
  });

  // Last: it takes fs-a's FreeSWITCH away.
  void it('status --all --expect --ready: a node answering with FreeSWITCH down counts as missing (exit 4)', async () => {
    await cluster.sims[0]!.stop();
    const a = cluster.agents[0]!;
    await agentUntil(a, () => (a.status()['esl'] as { status: string }).status !== 'ready', 'fs-a ESL down');
    // fs-a stays down from here on: the five side by side.
    const [present, ready, json, alone, one] = (await runCliMany(
      [
        ['status', '--all', '--expect', 'fs-a,fs-b'],
        ['status', '--all', '--expect', 'fs-a,fs-b', '--ready'],
        ['status', '--all', '--expect', 'fs-a,fs-b', '--ready', '--json'],
        ['status', '--all', '--ready'],
        ['status', '--node', 'fs-a', '--ready'],
      ],
      env,
      5,
    )) as [CliResult, CliResult, CliResult, CliResult, CliResult];
    assert.equal(present.code, 0, `without --ready the exit code is presence only\n${present.err}`);
    assert.equal(ready.code, 4, ready.err);
    assert.match(ready.out, /^fs-a\s/m, 'the node is still shown');
    // The agent's own reason, as its /readyz gives it.
    assert.match(ready.err, /^fsbus status: not ready: fs-a \(FreeSWITCH event connection (connecting|reconnecting|disconnected)/m);
    assert.equal(json.code, 4, json.err);
    const statuses = jsonOf(json.out) as Array<{ node_id: string; ready: boolean; not_ready_reason?: string }>;
    assert.deepEqual(statuses.map((s) => [s.node_id, s.ready]).sort(), [['fs-a', false], ['fs-b', true]]);
    assert.match(statuses.find((s) => s.node_id === 'fs-a')!.not_ready_reason ?? '', /^FreeSWITCH event connection /);
    // Without --expect, --ready alone still fails on a node that is not ready.
    assert.equal(alone.code, 4, alone.err);
    assert.equal(one.code, 4, one.err);
    assert.match(one.err, /not ready: fs-a/);
  });
});
