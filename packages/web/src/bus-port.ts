/**
 * What the dashboard needs from the bus, behind one small interface: served by the SDK
 * (client-bus.ts); an embedder can hand startWeb() its own (`busLink`).
 */
import type { ReplyEnvelope, EventPayload } from '@fsbus/contract';
import type { DriverAuth, TlsOptions } from '@fsbus/transport';
import type { BusState } from './protocol.js';

export interface BusOptions {
  /** Driver name (`nats`, `amqp`, `kafka`, `redis`, `mqtt`, `zmq`). @default 'nats' */
  driver?: string;
  /** Broker URLs; more than one fails over. @default the driver's own port on loopback (nats://127.0.0.1:4222 for nats) */
  servers?: readonly string[];
  /** Subject prefix. @default 'freeswitch' */
  prefix?: string;
  /**
   * NATS only: the root of the dashboard's reply subjects, for a broker user allowed to subscribe
   * there only (`_INBOX_dash`; ConnectOptions.inboxPrefix). @default '_INBOX'
   */
  inboxPrefix?: string;
  /** Broker credentials: from the server's environment, never sent to the page. */
  auth?: DriverAuth;
  tls?: TlsOptions | boolean;
}

/** An answer to a gather that was no reply envelope (the SDK's BadReply). */
export interface UnreadableReply {
  readonly nodeId: string | undefined;
  readonly error: Error;
}

export interface DashboardBus {
  readonly state: BusState;
  /** Reconnections since start. */
  readonly reconnects: number;
  /** Resolves once connected; rejects with the driver's typed error. */
  connect(): Promise<void>;
  onState(listener: (state: BusState) => void): () => void;
  /** Broadcast `command` and collect every node's reply until the timeout. */
  /** Every node's envelope; answers that were none may come in `badReplies` (the SDK's gather). */
  gather(command: string, timeoutMs: number): Promise<ReplyEnvelope[] & { readonly badReplies?: readonly UnreadableReply[] }>;
  /** One request to one node's direct lane, or to the api lane when `nodeId` is absent. */
  request(body: Record<string, unknown>, nodeId: string | undefined, timeoutMs: number): Promise<ReplyEnvelope>;
  /** Every event of every node. */
  onEvent(listener: (event: EventPayload) => void): () => void;
  close(): Promise<void>;
}
