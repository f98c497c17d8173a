// The "outgoing buffer full" line printed both limits (buffer_messages, buffer_bytes) but not which
// one ran out: an operator could not tell whether to raise the count or the bytes. The line says
// which (`limit`, `limit_value`): the one the driver's buffer names for its latest drop
// (DriverStats.bufferFullBy), not read from how many it holds after the drop — a drop for bytes
// can leave exactly buffer_messages, and one for both (or Kafka's pending, which adds its send
// queue) fewer or more.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { BufferedLoss, EVENTS_DROPPED_LOG } from '../src/buffered-loss.js';
import type { EventLoss } from '../src/lifecycle-events.js';
import type { DriverStats } from '@fsbus/transport';

const loss: EventLoss = { count: 1, hangups: 0, sinceUs: 10, untilUs: 10 };

function lineAt(pending: number, fullBy: DriverStats['bufferFullBy']): Record<string, unknown> | undefined {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  const lost = new BufferedLoss({
    logger,
    buffer: { buffer_messages: 4, buffer_bytes: 1000 },
    brokerStatus: () => 'reconnecting',
    droppedTotal: () => 0,
    announce: () => true,
    pending: () => pending,
  });
  lost.reporting.onDropped(loss, loss, 'buffer-full', fullBy);
  lost.flush();
  return lines.find((l) => l['msg'] === EVENTS_DROPPED_LOG);
}

void test('buffer full by count: the line names buffer_messages and its value', () => {
  const line = lineAt(4, 'messages');
  assert.deepEqual([line?.['limit'], line?.['limit_value'], line?.['buffered']], ['buffer_messages', 4, 4]);
});

void test('buffer full by bytes (fewer messages than buffer_messages held): the line names buffer_bytes and its value', () => {
  const line = lineAt(2, 'bytes');
  assert.deepEqual([line?.['limit'], line?.['limit_value'], line?.['buffered']], ['buffer_bytes', 1000, 2]);
});

void test('full by bytes though holding exactly buffer_messages after the drop: buffer_bytes', () => {
  const line = lineAt(4, 'bytes');
  assert.deepEqual([line?.['limit'], line?.['limit_value'], line?.['buffered']], ['buffer_bytes', 1000, 4]);
});

void test('both limits bound (the count reached, the bytes still over: fewer held after): buffer_messages', () => {
  const line = lineAt(2, 'messages');
  assert.deepEqual([line?.['limit'], line?.['limit_value'], line?.['buffered']], ['buffer_messages', 4, 2]);
});

void test('a driver that does not say which limit: no limit named, only what it holds', () => {
  const line = lineAt(4, undefined);
  assert.deepEqual([line?.['limit'], line?.['limit_value'], line?.['buffered']], [undefined, undefined, 4]);
});
