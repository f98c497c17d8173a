/**
 * Subjects longer than a NATS control line allows (nats-server's max_control_line, 4 KiB by
 * default) are refused by the driver, typed, before anything is sent: the server would close the
 * connection over one — for a subscription again after every reconnect, forever — and take every
 * other request on the connection down with it.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startNatsServer } from '@fsbus/testkit';
import { createDriver, TransportErrorCode } from '@fsbus/transport';
import { dec, enc } from './conformance/helpers.js';

const LONG = `fs.events.${'x'.repeat(5000)}`;

void test('nats: a subject or pattern too long for a control line is refused, typed, and the connection stays up', async (t) => {
  const server = await startNatsServer({ jetstream: true });
  t.after(() => server.stop());
  const responder = await createDriver('nats', { urls: [server.url], name: 'responder' });
  const client = await createDriver('nats', { urls: [server.url], name: 'client' });
  t.after(async () => {
    await client.close();
    await responder.close();
  });
  await Promise.all([responder.connect(), client.connect()]);
  responder.serve({ subject: 'fs.api', competing: true }, (req) => enc(`re:${dec(req.data)}`));
  await responder.flush();
  const statuses: string[] = [];
  client.on((e) => {
    if (e.type === 'status') statuses.push(e.status);
  });

  assert.throws(() => client.subscribe(LONG, () => undefined), { code: TransportErrorCode.UNSUPPORTED, message: /max_control_line/ });
  assert.throws(() => client.serve({ subject: LONG, competing: true }, () => undefined), { code: TransportErrorCode.UNSUPPORTED });
  assert.equal(client.publish(LONG, enc('x')), 'dropped');
  assert.equal(client.stats().dropped, 1);
  await assert.rejects(client.request(LONG, enc('x'), { timeoutMs: 5000 }), { code: TransportErrorCode.UNSUPPORTED });
  await assert.rejects(client.consumeDurable({ stream: 'S', durable: 'd'.repeat(5000) }, () => undefined), { code: TransportErrorCode.UNSUPPORTED });

  // The connection never dropped: a round trip after all of it works, and no status changed.
  await client.flush();
  assert.equal(dec((await client.request('fs.api', enc('after'), { timeoutMs: 5000 })).data), 're:after');
  assert.deepEqual(statuses, []);
  assert.equal(client.stats().reconnects, 0);
});
