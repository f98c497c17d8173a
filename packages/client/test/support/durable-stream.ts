/**
 * The durable-stream tests' broker: a real nats-server with JetStream and the agent's event stream
 * (FREESWITCH_EVENTS over freeswitch.events.>), events published straight into it as an agent
 * would, and the first event of a stream read.
 */
import { strict as assert } from 'node:assert';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { createDriver, type Driver } from '@fsbus/transport';
import type { BusEvent, EventStream } from '../../src/index.js';

/** A CUSTOM event envelope whose only distinguishing field is `uuid`. */
export const customEvent = (uuid: string): Uint8Array =>
  new TextEncoder().encode(JSON.stringify({ event_name: 'CUSTOM', timestamp: 1, node_id: 'n1', uuid, headers: { 'Event-Name': 'CUSTOM' } }));

export async function first(stream: EventStream): Promise<BusEvent> {
  const r = await stream.next();
  assert.equal(r.done, false, 'the stream ended');
  return r.value;
}

export interface DurableBroker {
  nats: NatsServerHandle;
  /** A plain nats.js connection: publishes the events, manages consumers. */
  raw: NatsConnection;
  stop(): Promise<void>;
}

/** nats-server with the event stream, `uuids` published on freeswitch.events.custom.x in order. */
export async function startDurableBroker(uuids: readonly string[]): Promise<DurableBroker> {
  const nats = await startNatsServer({ jetstream: true });
  let setup: Driver | undefined;
  let raw: NatsConnection | undefined;
  try {
    setup = await createDriver('nats', { urls: [nats.url] });
    await setup.connect();
    await setup.ensureStream({ name: 'FREESWITCH_EVENTS', subjects: ['freeswitch.events.>'], storage: 'memory' });
    raw = await natsConnect({ servers: nats.url });
    for (const uuid of uuids) raw.publish('freeswitch.events.custom.x', customEvent(uuid));
    await raw.flush();
  } catch (err) {
    await raw?.close();
    await setup?.close();
    await nats.stop();
    throw err;
  }
  const conn = raw;
  const driver = setup;
  return {
    nats,
    raw: conn,
    stop: async () => {
      await conn.close();
      await driver.close();
      await nats.stop();
    },
  };
}
