// NATS: a request carries its requester's deadline as an `fsbus-expires` header (epoch ms, as on
// Kafka and ZeroMQ), and a server skips one that reaches it after that — the operator's review: a
// frozen agent (SIGSTOP; its connection stays open, so nats-server keeps it in the lane's queue
// group for minutes) ran every request it had been handed when it resumed, an `originate` whose
// client had long got FSBUS_ERR_CLIENT_TIMEOUT among them (a retry then placed a second call).
// The serving side is a process of its own, frozen for real; the test waits for each requester's
// own timeout (the rejection, not a sleep), thaws it, and asks it what ran. A request without the
// header (nats CLI, nats-py, mod_event_agent's clients) has no deadline to go by: run as before.
// One whose header is not epoch milliseconds is refused as on Redis, Kafka and ZeroMQ.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connect as natsConnect, headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { createDriver, TransportErrorCode, type Driver } from '@fsbus/transport';
import { freeze, spawnUntil, startNatsServer, stopChild, type NatsServerHandle, type SpawnedBroker } from '@fsbus/testkit';
import { EXPIRED_REQUEST_LOG } from '../src/drivers/driver-core.js';
import { CLOCK_SKEW_GRACE_MS } from '../src/nats/nats-driver.js';
import { dec, enc, within } from './conformance/helpers.js';

const CHILD = fileURLToPath(new URL('./support/nats-serving-child.ts', import.meta.url));
const P = 'nex';

let nats: NatsServerHandle;
let server: SpawnedBroker;
let client: Driver;
let raw: NatsConnection;
before(async () => {
  nats = await startNatsServer();
  server = await spawnUntil(process.execPath, ['--conditions=source', '--import', 'tsx', CHILD, nats.url, P], /^ready$/m, 60_000);
  client = await createDriver('nats', { urls: [nats.url], name: 'requester' });
  await client.connect();
  raw = await natsConnect({ servers: nats.url, name: 'foreign-client' });
});
after(async () => {
  if (server.child.pid !== undefined) process.kill(server.child.pid, 'SIGCONT');
  await raw?.close();
  await client?.close();
  await stopChild(server.child);
  await nats.stop();
});

interface Served {
  ran: string[];
  stats: { expired: number; requestsRefused: number };
  warnings: Array<{ fields: Record<string, unknown>; msg: string }>;
}
/** What the server ran so far: its answer comes after every message nats-server sent it before (one connection, in order). */
const served = async (): Promise<Served> => JSON.parse(dec((await client.request(`${P}.ctl`, enc(''), { timeoutMs: 10_000 })).data)) as Served;

void test('nats: requests a frozen server took are skipped once their requester timed out; header-less ones still run', { timeout: 120_000 }, async () => {
  const pid = server.child.pid!;
  // Resolves once every thread is stopped (SIGSTOP returns before the kernel has stopped them all).
  await freeze(server.child);

  // Each requester waits out its own timeout: nats-server handed the request to the frozen process.
  for (const subject of [`${P}.api`, `${P}.node.a`]) {
    const err = await within(client.request(subject, enc(`late ${subject}`), { timeoutMs: 300 }).then(() => undefined, (e: unknown) => e), 10_000, `request to ${subject} never settled`);
    assert.equal((err as { code?: string } | undefined)?.code, TransportErrorCode.TIMEOUT, `${subject}: the requester timed out`);
  }
  const gathering = client.gather(`${P}.broadcast`, enc('late broadcast'), { timeoutMs: 300 });
  // Not before the request's own Date.now() (request() stamps it synchronously).
  const lastSent = Date.now();
  assert.deepEqual(await gathering, [], 'the gathering ended with no reply');
  // A client that sends no header: its request has no deadline the server could know.
  await assert.rejects(raw.request(`${P}.api`, enc('foreign late'), { timeout: 300 }), 'the foreign request timed out too');
  // The wall clock (the header's) past the last deadline and the clock-skew grace too, not only
  // the requesters' monotonic timers.
  while (Date.now() <= lastSent + 300 + CLOCK_SKEW_GRACE_MS) await delay(1);

  process.kill(pid, 'SIGCONT');
  const after = await served();
  assert.deepEqual(after.ran, ['foreign late'], "none of the requests whose requester stopped waiting ran; the header-less one did, as before");
  assert.equal(after.stats.expired, 3, 'each skipped one counted (stats().expired)');
  const said = after.warnings.filter((w) => w.msg === EXPIRED_REQUEST_LOG);
  assert.equal(said.length, 1, 'said once for the burst');
  assert.equal(said[0]!.fields['subject'], `${P}.api`);
  assert.ok((said[0]!.fields['late_ms'] as number) >= 0);

  // Not frozen: every request runs, with the header or without it.
  assert.equal(dec((await client.request(`${P}.api`, enc('in time'), { timeoutMs: 10_000 })).data), 'ran');
  assert.equal(dec((await raw.request(`${P}.api`, enc('foreign in time'), { timeout: 10_000 })).data), 'ran');
  assert.deepEqual((await served()).ran, ['foreign late', 'in time', 'foreign in time']);
});

void test('nats: an fsbus-expires that is not epoch milliseconds is refused with INVALID_ARGUMENT, not run', { timeout: 60_000 }, async () => {
  const before = await served();
  const h = natsHeaders();
  const seconds = String(Math.floor(Date.now() / 1000) + 60);
  h.set('fsbus-expires', seconds);
  const reply = JSON.parse(dec((await raw.request(`${P}.api`, enc('{"command":"status","correlation_id":"c-1"}'), { timeout: 10_000, headers: h })).data)) as Record<string, unknown>;
  assert.equal(reply['success'], false);
  assert.equal(reply['code'], 'FSBUS_ERR_BUS_INVALID_ARGUMENT');
  assert.equal(reply['message'], `expires must be epoch milliseconds (a number ≥ 1000000000000, e.g. Date.now() + 5000), not seconds: got ${JSON.stringify(seconds)}`);
  assert.equal(reply['correlation_id'], 'c-1', "the body's correlation_id echoed");
  const now = await served();
  assert.deepEqual(now.ran, before.ran, 'not run');
  assert.equal(now.stats.requestsRefused, before.stats.requestsRefused + 1, 'counted in requestsRefused');
  assert.ok(now.warnings.some((w) => w.msg === 'nats request whose fsbus-expires is not epoch milliseconds: refused, not run' && w.fields['expires'] === seconds));
});

void test('nats: a deadline passed by less than the clock-skew grace is the hosts\' clocks apart: run; by more: skipped', { timeout: 60_000 }, async () => {
  const before = await served();
  const sendAt = async (expires: number, body: string): Promise<void> => {
    const h = natsHeaders();
    h.set('fsbus-expires', String(expires));
    // A skipped request is never answered: its requester times out.
    await raw.request(`${P}.api`, enc(body), { timeout: 1_000, headers: h }).catch(() => undefined);
  };
  await sendAt(Date.now() - CLOCK_SKEW_GRACE_MS / 2, 'skewed clock');
  await sendAt(Date.now() - CLOCK_SKEW_GRACE_MS * 5, 'long gone');
  const now = await served();
  assert.deepEqual(now.ran.slice(before.ran.length), ['skewed clock'], 'the one within the grace ran, the one past it did not');
  assert.equal(now.stats.expired, before.stats.expired + 1);
});
