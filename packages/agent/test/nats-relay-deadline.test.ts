// A shared-lane request naming another node is relayed by the agent that took it (handoff.ts) as a
// request of its own to `<prefix>.node.<id>`. On NATS that relay carried no deadline, so a node
// frozen meanwhile (SIGSTOP: still subscribed) ran it when it resumed — minutes late, long after
// the requester got its timeout (an `originate` placed for nobody). The relay now sends the time
// the requester has left (its `fsbus-expires`, as ServeRequest.deadline) as its own: the node,
// frozen for real in a process of its own, skips it when thawed after the requester's timeout.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createDriver, TransportErrorCode, type Driver } from '@fsbus/transport';
import { freeze, spawnUntil, startNatsServer, stopChild, type NatsServerHandle, type SpawnedBroker } from '@fsbus/testkit';
import { relayHandoff } from '../src/handoff.js';
import { CLOCK_SKEW_GRACE_MS } from '../../transport/src/nats/nats-driver.js';

const CHILD = fileURLToPath(new URL('../../transport/test/support/nats-serving-child.ts', import.meta.url));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

let nats: NatsServerHandle;
let node: SpawnedBroker;
let relayer: Driver;
let client: Driver;
before(async () => {
  nats = await startNatsServer();
  // The named node: serves `rel.node.a` (and `rel.ctl`: what it ran, its stats).
  node = await spawnUntil(process.execPath, ['--conditions=source', '--import', 'tsx', CHILD, nats.url, 'rel'], /^ready$/m, 60_000);
  relayer = await createDriver('nats', { urls: [nats.url], name: 'relaying-agent' });
  client = await createDriver('nats', { urls: [nats.url], name: 'requester' });
  await Promise.all([relayer.connect(), client.connect()]);
});
after(async () => {
  if (node.child.pid !== undefined) process.kill(node.child.pid, 'SIGCONT');
  await client?.close();
  await relayer?.close();
  await stopChild(node.child);
  await nats.stop();
});

void test('nats: a relayed hand-off carries the requester deadline; the frozen node skips it once thawed', { timeout: 120_000 }, async () => {
  const relayed: Array<Promise<unknown>> = [];
  // Its own shared lane (the node process serves a `rel.api` of its own). The command's timeout
  // is long (60 s): only the requester's deadline can bound the relay.
  relayer.serve({ subject: 'front.api', competing: true }, (req) => {
    const done = relayHandoff(relayer, req, 'rel.node.a', 'a', 60_000);
    relayed.push(done);
    return done.then((out) => (out instanceof Uint8Array ? out : undefined));
  });
  await relayer.flush();
  const pid = node.child.pid!;
  // Resolves once every thread is stopped (SIGSTOP returns before the kernel has stopped them all).
  await freeze(node.child);

  const asked = client.request('front.api', enc('relayed originate'), { timeoutMs: 500 });
  const sent = Date.now();
  const err = await asked.then(() => undefined, (e: unknown) => e);
  assert.equal((err as { code?: string } | undefined)?.code, TransportErrorCode.TIMEOUT, 'the requester timed out');
  assert.equal(relayed.length, 1, 'the relaying agent took it');
  // The relay gives up at the requester's deadline (not 61 s later): nobody waits any more.
  const out = (await relayed[0]) as { requesterGone?: boolean } | undefined;
  assert.equal(out?.requesterGone, true, 'the relay waited only as long as its requester');
  // Past the deadline and the clock-skew grace on the wall clock (the header's).
  while (Date.now() <= sent + 500 + CLOCK_SKEW_GRACE_MS) await delay(1);

  process.kill(pid, 'SIGCONT');
  const served = JSON.parse(dec((await client.request('rel.ctl', enc(''), { timeoutMs: 10_000 })).data)) as { ran: string[]; stats: { expired: number } };
  assert.deepEqual(served.ran, [], 'the node did not run the relayed request late');
  assert.equal(served.stats.expired, 1, 'it skipped it, counted');
});
