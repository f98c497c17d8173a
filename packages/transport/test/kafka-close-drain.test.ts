// A Kafka driver closed while a lane handler runs a request it accepted (its commit-before-run
// went through, kafka-lane-commits.ts: nobody else will run it) lets that handler finish and its
// reply reach the requester; a request that arrives once the close began is not started there, it
// is left to the lane's next server. Before, close() marked the driver closed first and the reply
// was dropped: the requester waited out its timeout for a command that had run. Real broker.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startKafka } from '@fsbus/testkit';
import type { Driver } from '@fsbus/transport';
import { dec, enc, openDriver } from './conformance/helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

void test('kafka: close() lets a lane handler already running send its reply, and starts no new request', { timeout: 180_000 }, async () => {
  const broker = await startKafka();
  const drivers: Driver[] = [];
  const open = () => openDriver(drivers, 'kafka', { urls: [broker.url] });
  const answer = (p: Promise<{ data: Uint8Array }>) =>
    p.then(
      (m) => dec(m.data),
      (err: Error & { code?: string }) => `${err.code ?? 'error'}: ${err.message}`,
    );
  try {
    const [server, client] = [await open(), await open()];
    const started = deferred();
    const release = deferred();
    const ranOnServer: string[] = [];
    server.serve({ subject: 'drain.api', competing: true }, async (req) => {
      ranOnServer.push(dec(req.data));
      started.resolve();
      await release.promise;
      return enc(`server:${dec(req.data)}`);
    });
    await server.flush();

    const slow = answer(client.request('drain.api', enc('slow'), { timeoutMs: 20_000 }));
    await started.promise;
    const closing = server.close();
    // Sent once the close began: the closing server must not start it.
    const late = answer(client.request('drain.api', enc('late'), { timeoutMs: 60_000 }));
    // The close is under way (its readers leaving the group) when the handler answers.
    await sleep(500);
    release.resolve();
    assert.equal(await slow, 'server:slow');
    await closing;
    assert.equal(server.status, 'closed');

    // Nothing lost: the lane's next server runs what the closing one left.
    const next = await open();
    next.serve({ subject: 'drain.api', competing: true }, (req) => enc(`next:${dec(req.data)}`));
    assert.equal(await late, 'next:late');
    assert.deepEqual(ranOnServer, ['slow']);
  } finally {
    for (const d of drivers) await d.close();
    await broker.stop();
  }
});
