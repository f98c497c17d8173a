/**
 * A real nats-server, a client, and one raw connection that answers each broadcast with given
 * bodies in a known order (one connection: they arrive in it) — several "nodes" scripted at once.
 */
import { after, before } from 'node:test';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerHandle } from '@fsbus/testkit';
import { connect, type FsbusClient } from '../../src/index.js';

export interface ScriptedBroadcast {
  /** The client under test (set once `before` ran). */
  readonly bus: FsbusClient;
  /** Answers each broadcast with `bodies`, in this order. */
  readonly answering: (bodies: readonly Uint8Array[]) => Promise<{ unsubscribe(): void }>;
}

/** Registers the suite's before/after hooks; call it inside a describe(). */
export function scriptedBroadcast(clientTimeoutMs: number): ScriptedBroadcast {
  let nats: NatsServerHandle | undefined;
  let raw: NatsConnection | undefined;
  let bus: FsbusClient | undefined;
  before(async () => {
    nats = await startNatsServer();
    raw = await natsConnect({ servers: nats.url, name: 'scripted-nodes' });
    bus = await connect({ servers: nats.url, timeoutMs: clientTimeoutMs });
  });
  after(async () => {
    await bus?.close();
    await raw?.close();
    await nats?.stop();
  });
  return {
    get bus(): FsbusClient {
      return bus!;
    },
    answering: async (bodies) => {
      const sub = raw!.subscribe('freeswitch.broadcast', { callback: (_e, m) => bodies.forEach((b) => m.respond(b)) });
      await raw!.flush();
      return sub;
    },
  };
}
