/** NATS and JetStream for a test: a server, connected drivers, JetStream's API through a driver. */
import { strict as assert } from 'node:assert';
import type { TestContext } from 'node:test';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { capturedWarnings, dec, enc } from '../conformance/helpers.js';

/** A nats-server with JetStream, stopped when the test ends. */
export async function jetStreamServer(t: TestContext): Promise<NatsServerHandle> {
  const server = await startNatsServer({ jetstream: true });
  t.after(() => server.stop());
  return server;
}

/** A NATS driver connected to `url` whose warn lines `log.warnings` keeps, closed when the test ends. */
export async function natsDriver(t: TestContext, url: string, name?: string): Promise<{ driver: Driver; log: ReturnType<typeof capturedWarnings> }> {
  const log = capturedWarnings();
  const driver = await createDriver('nats', { urls: [url], logger: log.logger, ...(name === undefined ? {} : { name }) });
  t.after(() => driver.close());
  await driver.connect();
  return { driver, log };
}

/** A JetStream API call (`$JS.API.…`), its answer parsed. */
export async function jsApi(driver: Driver, subject: string, body: unknown): Promise<Record<string, unknown>> {
  const reply = await driver.request(subject, enc(JSON.stringify(body)), { timeoutMs: 5000 });
  return JSON.parse(dec(reply.data)) as Record<string, unknown>;
}

/** Resolves once the stream holds `n` messages (published on core NATS, stored as they arrive); bounded. */
export async function untilStored(driver: Driver, stream: string, n: number): Promise<void> {
  // Bounded by time, not by a count of round trips: a loaded machine stores later, not never.
  for (const end = Date.now() + 15_000; Date.now() < end; ) {
    const info = await jsApi(driver, `$JS.API.STREAM.INFO.${stream}`, {});
    if ((info['state'] as { messages: number }).messages === n) return;
  }
  assert.fail(`stream ${stream} never held ${n} messages`);
}
