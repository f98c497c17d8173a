// What the CLI does with answers and events it cannot read (child processes, real nats-server, a raw
// @nats-io/transport-node connection as the bad responder/publisher): `status --all` prints the
// good nodes and a line per bad reply on stderr (exit 1); `events` prints the good events and warns
// on stderr, naming the subject and the count.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { connect as natsConnect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { BusErrorCode, encodeReply, errorReply, successReply } from '@fsbus/contract';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { cliEnv, runCli, startCli } from './support/run-cli.js';
import { fullStatus as status } from '../../client/test/support/agent-status.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

void describe('fsbus with malformed answers and events', () => {
  let nats: NatsServerHandle;
  let raw: NatsConnection;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    nats = await startNatsServer();
    raw = await natsConnect({ servers: nats.url, name: 'bad-peer' });
    env = cliEnv({ FSBUS_BROKER_URL: nats.url, FSBUS_DEMO_STATE: '/nonexistent/fsbus-demo.json' });
  });
  after(async () => {
    await raw?.close();
    await nats?.stop();
  });

  const answering = async (bodies: readonly Uint8Array[]): Promise<Subscription[]> => {
    const subs = bodies.map((body) => raw.subscribe('freeswitch.broadcast', { callback: (_err, m) => void m.respond(body) }));
    await raw.flush();
    return subs;
  };

  void it('status --all: the good node on stdout, the bad reply named on stderr, exit 1', async () => {
    const subs = await answering([encodeReply(successReply({ nodeId: 'good-node', message: 'ok', data: status('good-node') })), enc('hello <html>')]);
    try {
      const table = await runCli(['status', '--all', '--expect', '2'], env);
      assert.equal(table.code, 1, table.err);
      assert.match(table.out, /^good-node\s/m);
      assert.match(table.err, /^fsbus status: FSBUS_ERR_CLIENT_BAD_REPLY: agent\.status gather: a reply on freeswitch\.broadcast is not an fsbus envelope: it is not JSON$/m);
      assert.match(table.err, /^hint: 1 of 2 replies could not be read: /m);
      const json = await runCli(['status', '--all', '--expect', '2', '--json'], env);
      assert.equal(json.code, 1, json.err);
      assert.deepEqual(
        (JSON.parse(json.out) as Array<{ node_id: string }>).map((s) => s.node_id),
        ['good-node'],
      );
      assert.match(json.err, /FSBUS_ERR_CLIENT_BAD_REPLY: .* it is not JSON/);
    } finally {
      for (const s of subs) s.unsubscribe();
    }
  });

  void it('status --all: a node answering with an error (shutting down) is named on stderr, exit 1, not left out', async () => {
    const subs = await answering([
      encodeReply(successReply({ nodeId: 'good-node', message: 'ok', data: status('good-node') })),
      encodeReply(errorReply({ nodeId: 'leaving-node', message: 'Agent is shutting down', code: BusErrorCode.SHUTTING_DOWN })),
    ]);
    try {
      const r = await runCli(['status', '--all', '--expect', '2'], env);
      assert.equal(r.code, 1, r.err);
      assert.match(r.out, /^good-node\s/m);
      assert.match(r.err, /^fsbus status: leaving-node: FSBUS_ERR_BUS_SHUTTING_DOWN: Agent is shutting down$/m);
    } finally {
      for (const s of subs) s.unsubscribe();
    }
  });

  void it('status --all with only bad replies: nothing on stdout, each named on stderr, exit 1 (not "no node replied")', async () => {
    const subs = await answering([new Uint8Array(0), enc('{"success":true}')]);
    try {
      const r = await runCli(['status', '--all', '--expect', '2'], env);
      assert.equal(r.code, 1, r.err);
      assert.equal(r.out, '');
      assert.match(r.err, /a reply on freeswitch\.broadcast is not an fsbus envelope: it is empty/);
      assert.match(r.err, /a reply on freeswitch\.broadcast is not an fsbus envelope: .*no status, message, timestamp, node_id/);
      assert.doesNotMatch(r.err, /no node replied/);
    } finally {
      for (const s of subs) s.unsubscribe();
    }
  });

  void it('events: prints the valid event only, and says on stderr how many malformed ones on which subject', async () => {
    const events = startCli(['events', 'custom.x', '--format', 'json', '--count', '1'], env);
    try {
      await events.waitFor(/listening on freeswitch\.events\.custom\.x/);
      for (const bad of [enc('not json'), enc('[]'), enc('{"event_name":5}'), Uint8Array.from([0xff, 0x00])]) raw.publish('freeswitch.events.custom.x', bad);
      raw.publish('freeswitch.events.custom.x', enc(JSON.stringify({ event_name: 'CUSTOM', timestamp: 1, node_id: 'n1', headers: {}, uuid: 'valid' })));
      await raw.flush();
      assert.equal(await events.exited, 0, events.output());
      const lines = events.stdout().trim().split('\n');
      assert.equal(lines.length, 1, events.output());
      assert.equal((JSON.parse(lines[0]!) as { uuid: string }).uuid, 'valid');
      // The first at once, with its reason; the total when it stops.
      assert.match(events.output(), /^fsbus events: FSBUS_ERR_CLIENT_BAD_EVENT: events: a message on freeswitch\.events\.custom\.x is not an fsbus event: it is not JSON \(skipped\)$/m);
      assert.match(events.output(), /^fsbus events: 4 malformed events skipped \(freeswitch\.events\.custom\.x: 4\)$/m);
    } finally {
      events.child.kill('SIGKILL');
    }
  });
});
