// On NATS a reply subject is an address anyone may name: the agent sends a copy of a reply to a
// request's forward_to, and `_INBOX.…` is a forward_to it takes (executeApp's completion relies on
// it). A client that could work out another client's next reply subject from one it saw would have
// that client's pending request answered with ITS reply. Here the attacker — allowed only what
// every requester needs (publish on the api lane, subscribe `_INBOX.>`) — sees one reply of the
// victim, names the subject that follows as its originate's forward_to, and the victim's originate
// must still end with its own call. Then: `inboxPrefix` gives a user an inbox namespace of its own,
// so its replies need not be readable by anyone else at all.
// Real nats-server with per-user permissions, real agent, simulated FreeSWITCH.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { connect as natsConnect, type Msg } from '@nats-io/transport-node';
import { ClientErrorCode, connect, placedCallUuid, ReplyError, type FsbusClient } from '../src/index.js';
import { collectUntil } from './support/stack.js';
import { AGENT_USER, startNodeWithUsers, type UsersNode } from './support/nats-users.js';

const VICTIM = { user: 'victim', password: 'victim-pw', publish: ['freeswitch.api'], subscribe: ['_INBOX.>'] };
const ATTACKER = { user: 'attacker', password: 'attacker-pw', publish: ['freeswitch.api'], subscribe: ['_INBOX.>'] };
/** Replies only on its own inbox namespace, as nats-server's docs advise per user. */
const ALICE = { user: 'alice', password: 'alice-pw', publish: ['freeswitch.api', 'freeswitch.broadcast'], subscribe: ['_INBOX_alice.>'] };

const auth = (u: { user: string; password: string }) => ({ user: u.user, password: u.password });
const json = (m: Msg): { data?: { uuid?: unknown } } => JSON.parse(new TextDecoder().decode(m.data)) as { data?: { uuid?: unknown } };

/** The subject after `seen` if its last token counts up (base 36, as the SDK's did). */
function followingSubject(seen: string): string {
  return seen.replace(/\.([0-9a-z]+)$/, (_t, n: string) => `.${(parseInt(n, 36) + 1).toString(36)}`);
}

void describe('@fsbus/client on NATS: reply subjects nobody can predict or read', () => {
  let node: UsersNode;
  /** Unrestricted (the agent's user): watches events, ends calls. */
  let admin: FsbusClient;
  before(async () => {
    node = await startNodeWithUsers([VICTIM, ATTACKER, ALICE]);
    admin = await connect({ servers: node.url, auth: auth(AGENT_USER) });
  });
  after(async () => {
    await admin?.close();
    await node?.stop();
  });

  void it('a forward_to at the subject after a victim reply seen does not answer the victim\'s pending originate', async () => {
    const victimUuid = 'a7c1e0aa-0000-4000-8000-00000000f00d';
    const attackerUuid = 'a7c1e0aa-0000-4000-8000-0000000bad00';
    // The victim's call rings until it is ended: its reply comes only when the test says.
    node.sim.core.control.setEndpointBehavior('user/1001', { answer: 'no-answer' });
    const victim = await connect({ servers: node.url, auth: auth(VICTIM) });
    const attacker = await natsConnect({ servers: node.url, user: ATTACKER.user, pass: ATTACKER.password });
    const events = admin.events('channel.>');
    try {
      await events.ready;
      const sniffed: Msg[] = [];
      let firstSeen!: (subject: string) => void;
      const first = new Promise<string>((resolve) => (firstSeen = resolve));
      attacker.subscribe('_INBOX.>', {
        callback: (_err, m) => {
          sniffed.push(m);
          firstSeen(m.subject);
        },
      });
      await attacker.flush();
      await victim.api('status');
      const predicted = followingSubject(await first);

      const victimCall = victim.originate({ endpoint: 'user/1001', extension: '&park()', uuid: victimUuid, ringTimeoutS: 120 }).then(
        (r) => ({ uuid: r.uuid, how: 'resolved' }),
        (e: unknown) => ({ uuid: e instanceof ReplyError ? placedCallUuid(e) : undefined, how: String(e) }),
      );
      // The agent has the victim's request (so the victim waits for its reply): its call rings.
      await collectUntil(events, (e) => e.name === 'CHANNEL_CREATE' && e.uuid === victimUuid, "the victim's call");
      const body = { command: 'originate', endpoint: 'user/2000', extension: '&park()', uuid: attackerUuid, forward_to: predicted };
      const own = await attacker.request('freeswitch.api', new TextEncoder().encode(JSON.stringify(body)), { timeout: 10_000 });
      assert.equal(json(own).data?.uuid, attackerUuid, "the attacker's originate ran");
      // The agent sent the copy before the reply: once the victim's connection has answered a
      // PING, it has the copy if it was for it.
      await victim.driver.flush();
      await admin.hangup(victimUuid);
      const got = await victimCall;
      assert.equal(got.uuid, victimUuid, `the victim must end with its own call, got ${JSON.stringify(got)}`);
      await attacker.flush();
      const victimReply = sniffed.find((m) => json(m).data?.uuid === victimUuid);
      assert.ok(victimReply !== undefined, "the victim's own reply, seen by the attacker");
      assert.notEqual(victimReply.subject, predicted, 'the subject worked out was not the victim\'s');
    } finally {
      await events.close();
      await victim.close();
      await attacker.close();
      await admin.hangup(attackerUuid).catch(() => undefined);
    }
  });

  void it("a forward_to at the completion subject after one seen does not end the victim's executeApp wait", async () => {
    const victim = await connect({ servers: node.url, auth: auth(VICTIM) });
    const attacker = await natsConnect({ servers: node.url, user: ATTACKER.user, pass: ATTACKER.password });
    const events = admin.events('channel.>');
    let uuid: string | undefined;
    try {
      await events.ready;
      const call = await admin.originate({ endpoint: 'user/2000', extension: '&park()' });
      uuid = call.uuid;
      await collectUntil(events, (e) => e.name === 'CHANNEL_PARK' && e.uuid === call.uuid, 'the call parked');
      const sniffed: string[] = [];
      attacker.subscribe('_INBOX.>', { callback: (_err, m) => void sniffed.push(m.subject) });
      await attacker.flush();
      // One completion wait of the victim's, seen whole by the attacker.
      await (await victim.executeApp({ uuid: call.uuid, app: 'playback', args: 'tone_stream://%(100,0,440)', waitForComplete: true })).complete;
      await attacker.flush();
      const seen = sniffed.find((s) => s.includes('.fsbus_'));
      assert.ok(seen !== undefined, `the completion subject was seen: ${sniffed.join(', ')}`);
      const predicted = followingSubject(seen);
      // The victim's next wait: an application that runs until the call ends.
      const run = await victim.executeApp({ uuid: call.uuid, app: 'sleep', args: '600000', waitForComplete: true });
      let endedBy: unknown;
      run.complete.then(
        (e) => (endedBy ??= e),
        (e: unknown) => (endedBy ??= e),
      );
      // A command that fails, its copy to the predicted subject: on the victim's wait it would say
      // that no completion will come.
      const body = { command: 'hangup', uuid: 'no-such-call-0000', forward_to: predicted };
      await attacker.request('freeswitch.api', new TextEncoder().encode(JSON.stringify(body)), { timeout: 10_000 });
      await victim.driver.flush();
      assert.equal(endedBy, undefined, `the victim's wait must not end on the attacker's reply, ended by ${String(endedBy)}`);
      await admin.hangup(call.uuid);
      uuid = undefined;
      await run.complete.catch(() => undefined);
    } finally {
      await events.close();
      await victim.close();
      await attacker.close();
      if (uuid !== undefined) await admin.hangup(uuid).catch(() => undefined);
    }
  });

  void it('inboxPrefix: a user allowed only _INBOX_alice.> makes requests, gathers and executeApp through the agent', async () => {
    const alice = await connect({ servers: node.url, auth: auth(ALICE), inboxPrefix: '_INBOX_alice' });
    const events = admin.events('channel.>');
    try {
      await events.ready;
      assert.equal(await alice.api('global_getvar', 'hostname'), 'node-1');
      const all = await alice.gather('agent.status', { expect: 1 });
      assert.deepEqual(
        all.map((r) => r.node_id),
        ['node-1'],
      );
      const call = await alice.originate({ endpoint: 'user/2000', extension: '&park()' });
      await collectUntil(events, (e) => e.name === 'CHANNEL_PARK' && e.uuid === call.uuid, 'the call parked');
      // The completion comes on a forward_to subject under alice's prefix, the only one she may read.
      const run = await alice.executeApp({ uuid: call.uuid, app: 'playback', args: 'tone_stream://%(100,0,440)', waitForComplete: true });
      const done = await run.complete;
      assert.equal(done.name, 'CHANNEL_EXECUTE_COMPLETE');
      assert.equal(done.applicationUuid, run.applicationUuid);
      await alice.hangup(call.uuid);
    } finally {
      await events.close();
      await alice.close();
    }
    // The permissions bite: without the prefix her replies cannot reach her.
    const plain = await connect({ servers: node.url, auth: auth(ALICE), timeoutMs: 1000 });
    try {
      await assert.rejects(plain.api('status'), { code: ClientErrorCode.TIMEOUT });
    } finally {
      await plain.close();
    }
  });

  void it('inboxPrefix: one that is no subject prefix of plain tokens, or sits under the agents\' subjects, is refused', async () => {
    for (const bad of ['', '_INBOX.*', 'a..b', 'has space', '$SYS', 'freeswitch.events', 'x'.repeat(65)]) {
      await assert.rejects(connect({ servers: node.url, auth: auth(ALICE), inboxPrefix: bad }), { code: ClientErrorCode.INVALID_ARGUMENT }, JSON.stringify(bad));
    }
  });
});
