/**
 * One step of bus-events: inject `count` events at `rate` into the simulator, receive them at
 * the far end (bus subscriber or direct ESL), and measure delivered rate, end-to-end latency
 * (receive time minus the event's own Event-Date-Timestamp, both wall-clock µs on this host)
 * and loss (produced by the simulator minus received).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { simControl, type SimChild } from '../lib/children.js';
import { Latencies, type LatencySummary } from '../lib/stats.js';

export const SUBCLASS = 'fsbus::bench';

/** ~30 channel-like headers, so an event weighs what a real channel event does (~1.5 KB JSON). */
export const EVENT_HEADERS: Readonly<Record<string, string>> = Object.fromEntries(<Array<[string, string]>>[
  ['Unique-ID', '6a1c0c64-7d4c-4a5e-9f3a-2f1e3c7b9d10'],
  ['Channel-Name', 'sofia/internal/1000@192.0.2.10'],
  ['Channel-State', 'CS_EXECUTE'],
  ['Call-Direction', 'inbound'],
  ['Caller-Caller-ID-Name', 'Extension 1000'],
  ['Caller-Caller-ID-Number', '1000'],
  ['Caller-Destination-Number', '7001'],
  ['Caller-Context', 'default'],
  ...Array.from({ length: 22 }, (_, i): [string, string] => [`variable_bench_var_${i}`, i % 3 === 0 ? `value with spaces ${i}` : `v${i}`]),
]);

export const nowMicros = (): number => (performance.timeOrigin + performance.now()) * 1000;

/** Counts what arrives and keeps latencies; fed by whichever receiver the step uses. */
export class Receiver {
  received = 0;
  firstAt = 0;
  lastAt = 0;
  bytes = 0;
  /** Earliest and latest event timestamps seen: the span over which the simulator produced them. */
  minTs = Number.POSITIVE_INFINITY;
  maxTs = 0;
  readonly latency = new Latencies();

  /** `eventMicros` is the event's Event-Date-Timestamp (NaN when unreadable: counted, no sample). */
  onEvent(eventMicros: number, bytes: number): void {
    const now = nowMicros();
    if (this.received === 0) this.firstAt = now;
    this.lastAt = now;
    this.received++;
    this.bytes += bytes;
    if (Number.isFinite(eventMicros)) {
      this.latency.add((now - eventMicros) / 1000);
      if (eventMicros < this.minTs) this.minTs = eventMicros;
      if (eventMicros > this.maxTs) this.maxTs = eventMicros;
    }
  }

  reset(): void {
    this.received = 0;
    this.firstAt = 0;
    this.lastAt = 0;
    this.bytes = 0;
    this.minTs = Number.POSITIVE_INFINITY;
    this.maxTs = 0;
    (this as { latency: Latencies }).latency = new Latencies();
  }
}

const TS_KEY = Buffer.from('"timestamp":');

/** The envelope's `timestamp` (µs) read from the JSON bytes without parsing the whole event. */
export function payloadTimestamp(data: Uint8Array): number {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const at = buf.indexOf(TS_KEY);
  if (at < 0) return Number.NaN;
  let n = 0;
  for (let i = at + TS_KEY.length; i < buf.length; i++) {
    const c = buf[i]!;
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return n;
}

export interface StepResult {
  rate: number;
  produced: number;
  received: number;
  lost: number;
  /** Received events / (last arrival − first arrival). */
  deliveredPerSec: number;
  /**
   * The rate the simulator actually produced them at (received / span of their own timestamps):
   * its injector cannot always hold the offered rate, so a path keeps up when it delivers this.
   */
  sourcePerSec: number;
  latency: LatencySummary;
  avgEventBytes: number;
}

/** Runs one step; `progress` is told the live count. */
export async function runStep(sim: SimChild, receiver: Receiver, rate: number, seconds: number, onLive: (n: number) => void): Promise<StepResult> {
  receiver.reset();
  const count = Math.max(1, Math.round(rate * seconds));
  const { id } = await simControl<{ id: string }>(sim, '/events/inject', { name: 'CUSTOM', subclass: SUBCLASS, headers: EVENT_HEADERS, count, ratePerSecond: rate });
  // Until everything arrived, or nothing new arrived for 2 s (the rest is lost); bounded.
  const started = Date.now();
  const deadline = started + seconds * 1000 * 10 + 30_000;
  let seen = -1;
  let stillSince = started;
  while (receiver.received < count && Date.now() < deadline) {
    await sleep(50);
    onLive(receiver.received);
    if (receiver.received !== seen) {
      seen = receiver.received;
      stillSince = Date.now();
    } else if (Date.now() - stillSince > 2000 && Date.now() - started > seconds * 1000 + 2000) break;
  }
  const { produced } = await simControl<{ produced: number }>(sim, '/stop', { id });
  const spanSec = (receiver.lastAt - receiver.firstAt) / 1e6;
  const sourceSec = (receiver.maxTs - receiver.minTs) / 1e6;
  return {
    rate,
    produced,
    received: receiver.received,
    lost: Math.max(0, produced - receiver.received),
    deliveredPerSec: spanSec > 0 ? receiver.received / spanSec : Number.NaN,
    sourcePerSec: sourceSec > 0 ? receiver.received / sourceSec : Number.NaN,
    latency: receiver.latency.summary(),
    avgEventBytes: receiver.received > 0 ? receiver.bytes / receiver.received : 0,
  };
}
