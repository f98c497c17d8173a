/**
 * A gather with `expect: 2` that one sender could meet alone (GatherOptions.replierOf): servers
 * `a1` and `a2` answer as the same sender `a` (what a broker's second delivery looks like to the
 * requester), `b` answers only once the client has read both of a's replies (it reads each through
 * replierOf), and `silent`, when given, never answers: its request stays outstanding, so on a
 * driver that also ends a gather once every request was answered (ZeroMQ) only `expect` can end it
 * before its timeout — which is longer than the test's, so a gather that `expect` does not end fails.
 */
import { strict as assert } from 'node:assert';
import type { Driver } from '@fsbus/transport';
import { dec, enc } from '../conformance/helpers.js';

export interface GatherServers {
  a1: Driver;
  a2: Driver;
  b: Driver;
  silent?: Driver;
}

/** Longer than the test runner's per-test timeout: the gather must end on `expect`. */
const NEVER_MS = 2_000_000;

export async function assertGatherCountsSenders(servers: GatherServers, client: Driver, subject: string): Promise<void> {
  let releaseB!: (reply: Uint8Array | undefined) => void;
  const bMayAnswer = new Promise<Uint8Array | undefined>((resolve) => (releaseB = resolve));
  servers.a1.serve({ subject, competing: false }, () => enc('a'));
  servers.a2.serve({ subject, competing: false }, () => enc('a'));
  servers.b.serve({ subject, competing: false }, () => bMayAnswer);
  servers.silent?.serve({ subject, competing: false }, () => undefined);
  for (const d of [servers.a1, servers.a2, servers.b, servers.silent]) await d?.flush();
  let aRead = 0;
  const replierOf = (data: Uint8Array): string => {
    const sender = dec(data);
    if (sender === 'a' && ++aRead === 2) releaseB(enc('b'));
    return sender;
  };
  try {
    const replies = await client.gather(subject, enc('?'), { timeoutMs: NEVER_MS, expect: 2, replierOf });
    assert.deepEqual(
      replies.map((r) => dec(r.data)),
      ['a', 'a', 'b'],
      "expect: 2 is two senders: the gather must not end on a's second reply, but on b's",
    );
  } finally {
    // Ended early (on a's copy): b's handler must not hold its driver's close.
    releaseB(undefined);
  }
}
