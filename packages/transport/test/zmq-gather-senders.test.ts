// A ZeroMQ gather counts senders towards `expect`, not replies (GatherOptions.replierOf): two
// agents answering as one sender are one. Real ZeroMQ sockets: four serving drivers on their own
// endpoints, one client connected to all of them.
import { test } from 'node:test';
import { freePort } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { assertGatherCountsSenders } from './support/gather-past-duplicate.js';

void test("zmq: a gather with expect and replierOf does not end on a sender's second reply", async () => {
  const drivers: Driver[] = [];
  try {
    const urls: string[] = [];
    for (let i = 0; i < 4; i++) {
      const url = `zmq://127.0.0.1:${await freePort()}?events=${await freePort()}`;
      urls.push(url);
      const d = await createDriver('zmq', { urls: [url], name: `server-${i}` });
      drivers.push(d);
      await d.connect();
    }
    const client = await createDriver('zmq', { urls, name: 'client' });
    drivers.push(client);
    await client.connect();
    const [a1, a2, b, silent] = drivers as [Driver, Driver, Driver, Driver];
    await assertGatherCountsSenders({ a1, a2, b, silent }, client, 'senders.broadcast');
  } finally {
    for (const d of drivers) await d.close();
  }
});
