/** JetStream's API from a test, through a connected NATS driver. */
import { strict as assert } from 'node:assert';
import type { Driver } from '@fsbus/transport';
import { dec, enc } from '../conformance/helpers.js';

/** A JetStream API call (`$JS.API.…`), its answer parsed. */
export async function jsApi(driver: Driver, subject: string, body: unknown): Promise<Record<string, unknown>> {
  const reply = await driver.request(subject, enc(JSON.stringify(body)), { timeoutMs: 5000 });
  return JSON.parse(dec(reply.data)) as Record<string, unknown>;
}

/** Resolves once the stream holds `n` messages (published on core NATS, stored as they arrive); bounded. */
export async function untilStored(driver: Driver, stream: string, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const info = await jsApi(driver, `$JS.API.STREAM.INFO.${stream}`, {});
    if ((info['state'] as { messages: number }).messages === n) return;
  }
  assert.fail(`stream ${stream} never held ${n} messages`);
}
