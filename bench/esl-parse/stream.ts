/**
 * The recorded event stream the benchmark parses: the event frames of the real FreeSWITCH
 * captures (`shared-plain.bin`, `shared-json.bin`), byte for byte, repeated to the target size.
 * Without the captures, simulator-like events are generated instead, and the report says so.
 */
import { EslEvent, encodeFrame, type EventFormat } from '@fsbus/esl';
import { fixtureBytes, fixturesPresent, FIXTURES_DIR, frameSlices } from '../../packages/esl/test/support/fixtures.js';

export type BenchFormat = Extract<EventFormat, 'plain' | 'json'>;
export const BENCH_FORMATS: readonly BenchFormat[] = ['plain', 'json'];

export interface EventStream {
  readonly format: BenchFormat;
  /** `fixtures` (real captures) or `generated` (captures missing). */
  readonly source: 'fixtures' | 'generated';
  readonly bytes: Buffer;
  readonly events: number;
  /** Distinct event frames the stream repeats. */
  readonly distinctEvents: number;
}

/** The event frames (outer headers + body) of one capture, skipping greeting and replies. */
function capturedEventFrames(format: BenchFormat): Buffer[] {
  const contentType = `Content-Type: text/event-${format}\n`;
  return frameSlices(fixtureBytes(`shared-${format}.bin`)).filter((f) => f.includes(contentType));
}

/** Events shaped like FreeSWITCH's channel events (~100 headers), for runs without the captures. */
function generatedEventFrames(format: BenchFormat): Buffer[] {
  const names = ['CHANNEL_CREATE', 'CHANNEL_STATE', 'CHANNEL_ANSWER', 'CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HANGUP', 'HEARTBEAT'];
  const frames: Buffer[] = [];
  for (let i = 0; i < 200; i++) {
    const uuid = `${String(i).padStart(8, '0')}-0000-4000-8000-000000000001`;
    const ev = EslEvent.create(names[i % names.length] as 'CHANNEL_CREATE');
    ev.addHeader('Core-UUID', '238ece83-0393-4ec5-9c46-81347eeb2b0b');
    ev.addHeader('Event-Date-Local', '2026-11-22 06:28:05');
    ev.addHeader('Event-Date-GMT', 'Sun, 22 Nov 2026 06:28:05 GMT');
    ev.addHeader('Event-Date-Timestamp', String(1795328885424395 + i));
    ev.addHeader('Event-Sequence', String(677 + i));
    ev.addHeader('Unique-ID', uuid);
    ev.addHeader('Channel-Name', `sofia/internal/10${i % 100}@192.0.2.2`);
    for (let h = 0; h < 90; h++) ev.addHeader(`variable_sim_var_${h}`, h % 3 === 0 ? `value with spaces: ${h}` : `v${h}`);
    if (i % 10 === 0) ev.setBody(`+OK ${uuid}\n`);
    frames.push(encodeFrame([['Content-Type', `text/event-${format}`]], ev.serialize(format)));
  }
  return frames;
}

/** Builds the stream for `format`, about `targetBytes` long (whole frames only). */
export function buildEventStream(format: BenchFormat, targetBytes: number): EventStream {
  const source = fixturesPresent ? 'fixtures' : 'generated';
  const frames = source === 'fixtures' ? capturedEventFrames(format) : generatedEventFrames(format);
  if (frames.length === 0) throw new Error(`no ${format} event frames in ${FIXTURES_DIR}`);
  const cycleBytes = frames.reduce((n, f) => n + f.length, 0);
  const cycles = Math.max(1, Math.round(targetBytes / cycleBytes));
  const cycle = Buffer.concat(frames, cycleBytes);
  const bytes = Buffer.allocUnsafe(cycleBytes * cycles);
  for (let c = 0; c < cycles; c++) cycle.copy(bytes, c * cycleBytes);
  return { format, source, bytes, events: frames.length * cycles, distinctEvents: frames.length };
}

/** The stream as a socket would deliver it: fixed-size chunks (views, not copies). */
export function chunked(bytes: Buffer, chunkSize: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return chunks;
}
