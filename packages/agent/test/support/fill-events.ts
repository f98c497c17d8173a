/**
 * The opening the event-loss tests share: every event on the bus collected into an array, and a
 * first CUSTOM fill event sent through FreeSWITCH and seen there — the path is up before the
 * fault is made. `beforeFlush` adds what else the client must have subscribed (a lane) first.
 */
import type { EventPayload } from '@fsbus/contract';
import type { EslClient } from '@fsbus/esl';
import { arrival } from './arrival.js';
import { emitCustom, type Cluster } from './cluster.js';

export const FILL = 'fsbus::test_fill';

/** The fill event numbered `seq` (its `Seq` header). */
export const fill = (seq: number) => (p: EventPayload) => p.headers['Event-Subclass'] === FILL && p.headers['Seq'] === String(seq);

export async function collectEvents(cluster: Cluster, esl: EslClient, beforeFlush?: () => void): Promise<EventPayload[]> {
  const got: EventPayload[] = [];
  cluster.client.subscribe('freeswitch.events.>', (m) => got.push(JSON.parse(new TextDecoder().decode(m.data)) as EventPayload));
  beforeFlush?.();
  await cluster.client.flush();
  await emitCustom(esl, FILL, 1, 0);
  await arrival(got, fill(0), 'the first fill');
  return got;
}
