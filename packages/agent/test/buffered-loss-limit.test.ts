// The "outgoing buffer full" line printed both limits (buffer_messages, buffer_bytes) but not which
// one ran out: an operator could not tell whether to raise the count or the bytes. The buffer
// makes room until it is under both (outbox.ts): full by count, it holds exactly buffer_messages
// after the drop; full by bytes, fewer. The line says which (`limit`, `limit_value`).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { BufferedLoss, EVENTS_DROPPED_LOG } from '../src/buffered-loss.js';
import type { EventLoss } from '../src/lifecycle-events.js';

const loss: EventLoss = { count: 1, hangups: 0, sinceUs: 10, untilUs: 10 };

function lineAt(pending: number): Record<string, unknown> | undefined {
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
  lost.reporting.onDropped(loss, loss, 'buffer-full');
  lost.flush();
  return lines.find((l) => l['msg'] === EVENTS_DROPPED_LOG);
}

void test('buffer full by count: the line names buffer_messages and its value', () => {
  const line = lineAt(4);
  assert.deepEqual([line?.['limit'], line?.['limit_value'], line?.['buffered']], ['buffer_messages', 4, 4]);
});

void test('buffer full by bytes (fewer messages than buffer_messages held): the line names buffer_bytes and its value', () => {
  const line = lineAt(2);
  assert.deepEqual([line?.['limit'], line?.['limit_value'], line?.['buffered']], ['buffer_bytes', 1000, 2]);
});
