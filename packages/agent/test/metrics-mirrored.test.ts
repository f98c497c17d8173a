// A counter mirrored from a total someone else owns (the driver's drops less what the agent knows
// were not events) must never count the same loss twice: a dip of that total (a non-event drop
// the agent counted before the driver did) is ignored, not counted again on the way back up.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { AgentMetrics } from '../src/metrics.js';

void test('fsbus_events_dropped_total ignores a dip of the total it mirrors', async () => {
  let dropped = 0;
  const metrics = new AgentMetrics({ node_id: 'n' }, () => dropped, () => 0);
  const scrape = async (): Promise<number> => {
    const m = await metrics.registry.getSingleMetric('fsbus_events_dropped_total')!.get();
    return m.values[0]?.value ?? 0;
  };
  const seen: number[] = [];
  for (const total of [5, 3, 5, 6]) {
    dropped = total;
    seen.push(await scrape());
  }
  assert.deepEqual(seen, [5, 5, 5, 6]);
});

void test('the HELP of fsbus_events_dropped_total names every way an event is lost, not only a full buffer', async () => {
  const metrics = new AgentMetrics({ node_id: 'n' }, () => 0, () => 0);
  const text = await metrics.registry.getSingleMetricAsString('fsbus_events_dropped_total');
  const help = text.split('\n').find((l) => l.startsWith('# HELP'))!;
  for (const way of ['full outgoing buffer', 'discarded at a stop', 'larger than the buffer', 'refused by the broker']) assert.ok(help.includes(way), `${way}: ${help}`);
});
