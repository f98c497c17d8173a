/**
 * Whether the links to Kafka still carry answers. @platformatic/kafka notices a dead link only when
 * a request on it times out (its connections' request timeout, 30 s) or the kernel gives up on the
 * socket. A broker that freezes (a long GC pause, SIGSTOP, a dead network path: TCP stays open,
 * nothing answers) while the driver is idle was not noticed at all: the driver said 'connected'
 * until its next send, which then waited out that timeout. Kafka has no heartbeat on a client's
 * connection (a consumer group's heartbeat is for the group, on the readers' own clients).
 *
 * So every half interval each established connection of the given clients (the driver's producer
 * and admin) is looked at: one whose socket read anything since the last look has spoken, and
 * nothing is sent (traffic is proof enough: cheap when records flow); a silent one gets an
 * ApiVersions request (no broker work, any broker version); still silent a full interval after
 * that, the link is taken for dead: `onDead` gets the broker (`host:port`). A frozen broker is so
 * noticed within two intervals, and a connection answering anything at all is never dropped.
 */
import type { Socket } from 'node:net';
import { apiVersionsV1, ConnectionStatuses, type Connection } from '@platformatic/kafka';

/** How long a probed Kafka connection may stay silent before it is taken for dead. @default 10000 */
export const DEFAULT_LIVENESS_INTERVAL_MS = 10_000;

/** The reason logged with 'reconnecting' when the check took the link for dead. */
export const KAFKA_LIVENESS_LOST = 'kafka broker left the liveness check unanswered';

/** What the check reads of a client: its established connections (`Base.connections`). */
export interface LivenessClient {
  readonly connections: Iterable<[string, Connection]>;
}

interface Watch {
  /** `socket.bytesRead` at the last look. */
  read: number;
  /** The look at which the probe still unanswered was sent, and when (performance.now()). */
  probedAt?: number;
  sentAt?: number;
}

export class KafkaLiveness {
  readonly #clients: () => readonly (LivenessClient | undefined)[];
  readonly #intervalMs: number;
  readonly #onDead: (broker: string, silentMs: number) => void;
  #watches = new WeakMap<Connection, Watch>();
  #timer: NodeJS.Timeout | undefined;
  /** Looks so far: a probe is given two of them (a full interval) to be answered. */
  #look = 0;

  constructor(clients: () => readonly (LivenessClient | undefined)[], intervalMs: number, onDead: (broker: string, silentMs: number) => void) {
    this.#clients = clients;
    this.#intervalMs = intervalMs;
    this.#onDead = onDead;
  }

  /** Looks from now on (again after a reconnect: what was watched before starts over). */
  start(): void {
    this.stop();
    // A probe left from before is not held against a connection that outlived the reconnect.
    this.#watches = new WeakMap();
    this.#timer = setInterval(() => this.#check(), Math.max(1, Math.floor(this.#intervalMs / 2))).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    const look = ++this.#look;
    for (const client of this.#clients()) {
      if (client === undefined) continue;
      for (const [broker, conn] of client.connections) {
        // Connecting or closing: the library's own connect timeout or close is under way.
        if (conn.status !== ConnectionStatuses.CONNECTED) continue;
        const read = conn.socket.bytesRead;
        const watch = this.#watches.get(conn);
        if (watch === undefined || read !== watch.read) {
          this.#watches.set(conn, { read });
          continue;
        }
        if (watch.probedAt === undefined) {
          watch.probedAt = look;
          watch.sentAt = performance.now();
          // Its answer shows as bytes read; an error (the connection closing) is the library's to handle.
          apiVersionsV1.api(conn, 'fsbus', '0', () => undefined);
          continue;
        }
        if (look - watch.probedAt < 2) continue;
        this.stop();
        this.#onDead(broker, Math.round(performance.now() - (watch.sentAt ?? 0)));
        return;
      }
    }
  }
}

/**
 * Drops every connection of `clients` to `broker` (`host:port`): their requests fail with the
 * library's "Connection closed" at once and the pools dial again when asked. The library may send
 * such a request again on a new connection, to the same frozen broker: the driver closes its
 * producer and admin for that (KafkaDriver#renewProducer, #renewAdmin).
 */
export function dropConnections(clients: readonly (LivenessClient | undefined)[], broker: string): void {
  for (const client of clients) {
    if (client === undefined) continue;
    // A connection still dialling may have no socket yet.
    for (const [key, conn] of [...client.connections]) if (key === broker) (conn.socket as Socket | undefined)?.destroy();
  }
}
