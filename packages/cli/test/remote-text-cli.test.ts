// What a caller or a bus publisher chose reaches the operator's terminal escaped: the real `fsbus
// events`, `status --all` and `api` (child processes, real nats-server; a raw
// @nats-io/transport-node connection publishes the event and plays the agent) print no raw ESC,
// C1 or bidi control and no forged line, on stdout or stderr.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { BusErrorCode, encodeReply, errorReply, successReply } from '@fsbus/contract';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { cliEnv, runCli, startCli } from './support/run-cli.js';
import { fullStatus } from '../../client/test/support/agent-status.js';

const ESC = '\x1b';
/** The review's caller number: OSC 52 (writes the clipboard), clear screen, RLO, NUL, then a forged event line. */
const EVIL = `1000${ESC}]52;c;cm0gLXJmIH4=\x07${ESC}[2J\u202eevil\0\n12:00:00.000 fs-01 CHANNEL_HANGUP_COMPLETE  forged\x85\u2066`;
/** A raw control, C1 or bidi character: none may reach the terminal (an SGR colour of the CLI's own aside). */
const FOREIGN = /\x1b(?!\[\d+m)|[\x00-\x09\x0b-\x1a\x1c-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');

void describe('fsbus prints remote text escaped', () => {
  let nats: NatsServerHandle;
  let raw: NatsConnection;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    nats = await startNatsServer();
    raw = await natsConnect({ servers: nats.url, name: 'remote-peer' });
    env = cliEnv({ FSBUS_BROKER_URL: nats.url, FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' });
  });
  after(async () => {
    await raw?.close();
    await nats?.stop();
  });

  void it('events: a caller number with ESC/OSC/bidi/newline is one escaped line (pretty, colours on), and escaped JSON', async () => {
    const pretty = startCli(['events', 'channel.create', '--count', '1'], { ...env, FORCE_COLOR: '1' });
    const json = startCli(['events', 'channel.create', '--count', '1', '--format', 'json'], env);
    try {
      await Promise.all([pretty.waitFor(/listening on/), json.waitFor(/listening on/)]);
      const event = {
        event_name: 'CHANNEL_CREATE',
        node_id: 'fs-01',
        timestamp: Date.UTC(2026, 0, 1, 12) * 1000,
        uuid: 'abcdef12-0000',
        headers: { 'Caller-Caller-ID-Number': EVIL, 'Caller-Destination-Number': `9000${ESC}[31mRED`, 'Channel-Name': `sofia/internal/x${ESC}[8m` },
      };
      raw.publish('freeswitch.events.channel.create', enc(JSON.stringify(event)));
      await raw.flush();
      assert.equal(await pretty.exited, 0, pretty.output());
      assert.equal(await json.exited, 0, json.output());

      const out = pretty.stdout();
      assert.doesNotMatch(out, FOREIGN, JSON.stringify(out));
      assert.equal(lines(out).length, 1, JSON.stringify(out));
      assert.ok(out.includes('1000\\x1b]52;c;cm0gLXJmIH4=\\x07\\x1b[2J\\u202eevil\\x00\\n12:00:00.000 fs-01 CHANNEL_HANGUP_COMPLETE  forged\\x85\\u2066 -> 9000\\x1b[31mRED'), JSON.stringify(out));
      // The CLI's own colours are still there.
      assert.match(out, /\x1b\[32mCHANNEL_CREATE/);

      const text = json.stdout();
      assert.doesNotMatch(text, FOREIGN, JSON.stringify(text));
      assert.equal(lines(text).length, 1, JSON.stringify(text));
      assert.deepEqual(JSON.parse(text), event);
    } finally {
      pretty.child.kill('SIGKILL');
      json.child.kill('SIGKILL');
    }
  });

  void it('status --all: a node id and status fields with controls are escaped in the table; an error reply on stderr too', async () => {
    const status = fullStatus(`evil${ESC}[2J\u202e`);
    const subs = [
      raw.subscribe('freeswitch.broadcast', { callback: (_e, m) => void m.respond(encodeReply(successReply({ nodeId: status['node_id'] as string, message: 'ok', data: status }))) }),
      raw.subscribe('freeswitch.broadcast', {
        callback: (_e, m) => void m.respond(encodeReply(errorReply({ nodeId: `bad${ESC}]0;t\x07`, message: `busy\nhint: forged${ESC}[1A`, code: BusErrorCode.BUSY }))),
      }),
    ];
    await raw.flush();
    try {
      const r = await runCli(['status', '--all', '--expect', '2'], env);
      assert.equal(r.code, 1, r.err);
      assert.doesNotMatch(r.out, FOREIGN, JSON.stringify(r.out));
      assert.match(r.out, /^evil\\x1b\[2J\\u202e\s/m);
      assert.doesNotMatch(r.err, FOREIGN, JSON.stringify(r.err));
      assert.match(r.err, /^fsbus status: bad\\x1b\]0;t\\x07: FSBUS_ERR_BUS_BUSY: busy\\nhint: forged\\x1b\[1A$/m);
      assert.equal(lines(r.err).filter((l) => l.startsWith('hint:')).length, 0, r.err);
    } finally {
      for (const s of subs) s.unsubscribe();
    }
  });

  void it("api: FreeSWITCH's multi-line output keeps its lines, its controls escaped; a refusal's output on stderr too", async () => {
    const answers = [
      successReply({ nodeId: 'fs-01', message: 'ok', data: `UP 0 years\n\tline two${ESC}]52;c;eA==\x07\r\n\u202eend\rFAKE\n` }),
      errorReply({ nodeId: `fs-01${ESC}[2J`, message: `API command failed\u2066`, code: BusErrorCode.COMMAND_FAILED, data: `-ERR no${ESC}[8m\nsecond\x9b` }),
    ];
    const sub = raw.subscribe('freeswitch.api', { callback: (_e, m) => void m.respond(encodeReply(answers.shift()!)) });
    await raw.flush();
    try {
      const ok = await runCli(['api', 'status'], env);
      assert.equal(ok.code, 0, ok.err);
      assert.equal(ok.out, 'UP 0 years\n\tline two\\x1b]52;c;eA==\\x07\r\n\\u202eend\\rFAKE\n');
      const bad = await runCli(['api', 'status'], env);
      assert.equal(bad.code, 1, bad.err);
      assert.doesNotMatch(bad.err, FOREIGN, JSON.stringify(bad.err));
      assert.match(bad.err, /^-ERR no\\x1b\[8m\nsecond\\x9b\nfsbus api: FSBUS_ERR_BUS_COMMAND_FAILED: API command failed\\u2066 \(node fs-01\\x1b\[2J\)\n/);
    } finally {
      sub.unsubscribe();
    }
  });
});
