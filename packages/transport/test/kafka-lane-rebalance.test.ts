// A competing lane across rebalances: requests sent steadily while servers join and leave its group
// are each answered, and each run once (kafka-reader.ts: a record's commit decides who runs it).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { startKafka } from '@fsbus/testkit';
import type { Driver, DriverLogger } from '@fsbus/transport';
import { dec, enc, openDriver } from './conformance/helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Debug lines of the servers, by text (what the readers skipped and why). */
function lines() {
  const seen = new Map<string, number>();
  const note = (_: object, msg = '') => seen.set(msg, (seen.get(msg) ?? 0) + 1);
  const logger: DriverLogger = { debug: note, info: note, warn: note, error: note };
  return { seen, logger };
}

void test('kafka: a competing lane loses no request and runs none twice while servers join and leave its group', { timeout: 240_000 }, async (t) => {
  const broker = await startKafka();
  const log = lines();
  const drivers: Driver[] = [];
  const open = (logger?: DriverLogger) => openDriver(drivers, 'kafka', { urls: [broker.url], ...(logger === undefined ? {} : { logger }) });
  /** Runs per request body, over every server. */
  const runs = new Map<string, number>();
  const serve = (d: Driver, name: string) =>
    d.serve({ subject: 'reb.api', competing: true }, (req) => {
      const body = dec(req.data);
      runs.set(body, (runs.get(body) ?? 0) + 1);
      return enc(`${name}:${body}`);
    });
  try {
    const [a, b, c, client] = [await open(log.logger), await open(log.logger), await open(log.logger), await open()];
    const onA = serve(a, 'a');
    await a.flush();
    assert.equal(dec((await client.request('reb.api', enc('warm'), { timeoutMs: 30_000 })).data), 'a:warm');

    // Requests every 20 ms for the whole time members join and leave: some reach the group while
    // each rebalance is under way, whenever it happens.
    const outcomes: Promise<string>[] = [];
    let sending = true;
    const sender = (async () => {
      for (let i = 0; sending; i++) {
        const body = `r${i}`;
        outcomes.push(
          client.request('reb.api', enc(body), { timeoutMs: 60_000 }).then(
            (m) => dec(m.data),
            (err: Error & { code?: string }) => `${body} ${err.code ?? err.message}`,
          ),
        );
        await sleep(20);
      }
    })();
    await sleep(500);
    serve(b, 'b');
    await b.flush();
    await sleep(1500);
    serve(c, 'c');
    await c.flush();
    await sleep(1500);
    await onA.unsubscribe();
    await sleep(1500);
    sending = false;
    await sender;
    const results = await Promise.all(outcomes);
    const skipped = JSON.stringify(Object.fromEntries([...log.seen].filter(([m]) => /skipped|refused|came again|restarts|could not|not run/.test(m))));
    t.diagnostic(`${results.length} requests; what the readers skipped: ${skipped}`);
    const failed = results.filter((r) => !/^[abc]:r\d+$/.test(r));
    const twice = [...runs].filter(([, n]) => n > 1).map(([body]) => body);
    assert.deepEqual(
      { failed, twice },
      { failed: [], twice: [] },
      `${results.length} requests; what the readers skipped: ${skipped}`,
    );
  } finally {
    for (const d of drivers) await d.close();
    await broker.stop();
  }
});
