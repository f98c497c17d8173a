/**
 * The Kafka loss tests' rig: a connected kafka driver with a small send queue, and over it the
 * agent's EventPublisher and BufferedLoss wired as the agent wires them, their log lines kept.
 * With `tellLoss`, a loss is announced as the agent announces it (its fsbus::events_dropped notice,
 * each loss also kept in `told`); without, the announcement is only taken. `livenessIntervalMs`, for
 * a test that waits for the frozen broker to be noticed; the default keeps the link 'connected' for
 * 10 s at least.
 */
import type { TestContext } from 'node:test';
import { pino } from 'pino';
import { EventFilter, buildSubjects, type Subjects } from '@fsbus/contract';
import type { KafkaHandle } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import { BufferedLoss } from '../../src/buffered-loss.js';
import { EventPublisher } from '../../src/event-publisher.js';
import { eventsDroppedEvent, type EventLoss } from '../../src/lifecycle-events.js';
import { AgentMetrics } from '../../src/metrics.js';
import { jsonLineSink } from './cluster.js';
import { timedEvent } from './timed-event.js';

export interface KafkaLossRig {
  driver: Driver;
  subjects: Subjects;
  lines: Array<Record<string, unknown>>;
  lost: BufferedLoss;
  publisher: EventPublisher;
  told: EventLoss[];
  /** Publishes a FreeSWITCH event `name` stamped `ts`, as the agent does one it received. */
  send: (name: string, ts: number) => void;
}

export async function kafkaLossRig(
  t: TestContext,
  kafka: KafkaHandle,
  o: { name: string; bufferMessages: number; bufferBytes?: number; tellLoss?: boolean; livenessIntervalMs?: number },
): Promise<KafkaLossRig> {
  const { name, bufferMessages, bufferBytes, livenessIntervalMs } = o;
  const driver = await createDriver('kafka', { urls: [kafka.url], name, bufferMessages, ...(bufferBytes === undefined ? {} : { bufferBytes }), ...(livenessIntervalMs === undefined ? {} : { livenessIntervalMs }) });
  // After hooks run in registration order: the broker thaws first, or close() waits on it frozen.
  t.after(() => kafka.resume());
  t.after(() => driver.close());
  await driver.connect();
  const subjects = buildSubjects();
  const lines: Array<Record<string, unknown>> = [];
  const told: EventLoss[] = [];
  const lost = new BufferedLoss({
    logger: pino({ level: 'info' }, jsonLineSink(lines)),
    buffer: { buffer_messages: o.bufferMessages, buffer_bytes: o.bufferBytes ?? 1 << 20 },
    brokerStatus: () => driver.status,
    droppedTotal: () => driver.stats().dropped,
    announce: (loss) => {
      if (o.tellLoss !== true) return true;
      told.push(loss);
      publisher.publishOwn(eventsDroppedEvent('n1', 'test', loss));
      return true;
    },
  });
  const metrics = new AgentMetrics({}, () => driver.stats().dropped, () => 0);
  // Read by announce() only once events flow, after this line.
  const publisher = new EventPublisher(new EventFilter(), subjects, 'n1', driver, metrics, lost.reporting, o.bufferMessages);
  lost.attach(publisher);
  return { driver, subjects, lines, lost, publisher, told, send: (name, ts) => publisher.onEvent(timedEvent(name, ts) as never) };
}
