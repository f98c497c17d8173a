// A request whose lane topic this driver has not looked up yet asks the admin client first (does
// the topic exist, is it served, its size limit) before anything is produced. Made while the broker
// is frozen (SIGSTOP: the TCP connections open, nothing answers), that lookup waits on the admin's
// connection. The driver's liveness check takes the link for dead within two livenessIntervalMs
// (2 s here) and drops the connections; it also replaced the producer (kafka-request-link-loss),
// but not the admin, whose retry on a new connection to the frozen broker then waited out the
// library's 30 s request timeout (or the thaw). Now the admin is replaced too: the lookup fails at
// once with FSBUS_ERR_TRANSPORT_DISCONNECTED (nothing was sent), and the new admin carries the
// reconnect probe and the next request once the broker thaws.
import { after, before, test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startKafka, type KafkaHandle } from '@fsbus/testkit';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import { dec, enc, waitStatus } from './conformance/helpers.js';

const LONG = 600_000;
const LANE = 'freeswitch.api';
/** The client's liveness interval: the frozen broker noticed within 4 s, not the default's 20 s. */
const LIVENESS_MS = 2000;
/** Half @platformatic/kafka's request timeout (30 s): a lookup still waiting then waits on the frozen broker. */
const FAILED_WITHIN_MS = 15_000;

let kafka: KafkaHandle;
before(async () => {
  kafka = await startKafka();
});
after(() => kafka.stop());

void test('kafka: a request whose topic lookup is in flight when the link is taken for dead fails at once (DISCONNECTED), and the driver comes back', { timeout: 240_000 }, async (t) => {
  // After hooks run in registration order: the broker thaws before any driver closes on it.
  t.after(() => kafka.resume());
  const server = await createDriver('kafka', { urls: [kafka.url], name: 'admin-loss-server' });
  t.after(() => server.close());
  await server.connect();
  server.serve({ subject: LANE, competing: true }, (req) => enc(`re:${dec(req.data)}`));
  await server.flush();
  const client = await createDriver('kafka', { urls: [kafka.url], name: 'admin-loss-client', livenessIntervalMs: LIVENESS_MS });
  t.after(() => client.close());
  await client.connect();

  await kafka.pause();
  // Nothing of the lane is known to this client yet: the request waits on an admin lookup.
  const request = client.request(LANE, enc('held'), { timeoutMs: LONG });
  const outcome = request.then(
    () => 'replied',
    (err: { code?: unknown; message?: string }) => ({ code: err.code, message: err.message }),
  );
  await waitStatus(client, 'reconnecting', 60_000);
  const settled = await Promise.race([outcome, new Promise<'pending'>((resolve) => setTimeout(resolve, FAILED_WITHIN_MS, 'pending'))]);
  assert.notEqual(settled, 'pending', `the request still waits ${FAILED_WITHIN_MS} ms after 'reconnecting', the broker frozen (the admin's lookup waits out the library's 30 s request timeout)`);
  assert.equal((settled as { code: unknown }).code, TransportErrorCode.DISCONNECTED, `failed as ${JSON.stringify(settled)}`);
  assert.match((settled as { message: string }).message, /freeswitch\.api/);

  kafka.resume();
  // The reconnect probe runs on the new admin; the next request's lookups too.
  await waitStatus(client, 'connected', 90_000);
  assert.equal(dec((await client.request(LANE, enc('after'), { timeoutMs: 60_000 })).data), 're:after');
});

// The admin's own retry: a stream's partition count is read (with the library's one retry) before
// a durable read starts. Dropped with the frozen broker's connection, that read was sent again on a
// new connection to it and waited out the 30 s request timeout; the old admin closed fails it.
void test('kafka: a durable read whose set-up lookup is in flight when the link is taken for dead fails at once (DISCONNECTED)', { timeout: 240_000 }, async (t) => {
  t.after(() => kafka.resume());
  const client = await createDriver('kafka', { urls: [kafka.url], name: 'admin-loss-durable', livenessIntervalMs: LIVENESS_MS });
  t.after(() => client.close());
  await client.connect();
  await client.ensureStream({ name: 'ADMINLOSS', subjects: ['adminloss.events.>'] });

  await kafka.pause();
  const outcome = client.consumeDurable({ stream: 'ADMINLOSS', durable: 'admin-loss' }, () => undefined).then(
    async (sub) => {
      await sub.unsubscribe();
      return 'started';
    },
    (err: { code?: unknown; message?: string }) => ({ code: err.code, message: err.message }),
  );
  await waitStatus(client, 'reconnecting', 60_000);
  const settled = await Promise.race([outcome, new Promise<'pending'>((resolve) => setTimeout(resolve, FAILED_WITHIN_MS, 'pending'))]);
  assert.notEqual(settled, 'pending', `the durable read still waits ${FAILED_WITHIN_MS} ms after 'reconnecting', the broker frozen (the admin's retry waits out the library's 30 s request timeout)`);
  assert.equal((settled as { code: unknown }).code, TransportErrorCode.DISCONNECTED, `failed as ${JSON.stringify(settled)}`);
  assert.match((settled as { message: string }).message, /ADMINLOSS/);
  kafka.resume();
  await waitStatus(client, 'connected', 90_000);
});
