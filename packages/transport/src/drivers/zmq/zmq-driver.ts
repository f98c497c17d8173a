/**
 * The ZeroMQ driver (zeromq 6), brokerless like mod_event_zmq: a driver that serves lanes or
 * publishes events BINDS a ROUTER (commands) and a PUB (events) at its first URL; a driver that
 * requests or subscribes CONNECTS to every URL of its list (one agent each). Competing lanes are
 * round-robin over the agents that serve them, direct lanes go to the agent that has them,
 * broadcast to all. No durable streams and no outage buffer beyond ZeroMQ's own queues: the
 * bounded send queues count what they drop.
 */
import { randomUUID } from 'node:crypto';
import type {
  ConsumeDurableOptions,
  Driver,
  DriverCapabilities,
  DriverEvent,
  DriverOptions,
  DriverStats,
  DriverStatus,
  DurableMessage,
  GatherOptions,
  InboundMessage,
  Lane,
  PublishOptions,
  PublishOutcome,
  RequestOptions,
  ServeHandler,
  StreamSpec,
  Subscription,
} from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import { isValidSubject } from '../kafka/kafka-topics.js';
import { ZmqClient } from './zmq-client.js';
import { Kind, parseZmqUrl, type ZmqEndpoints } from './zmq-protocol.js';
import { ZmqServer } from './zmq-server.js';
import { DEFAULT_BUFFER_MESSAGES, DEFAULT_REQUEST_TIMEOUT_MS } from '../../defaults.js';

/** How long a request waits for the agents' lane lists before "no responders". @default 1000 */
export const LANE_DISCOVERY_MS = 1000;

const CAPABILITIES: DriverCapabilities = {
  requestReply: true,
  competingConsumers: true,
  wildcards: true,
  headers: true,
  durableStreams: false,
  scatterGather: true,
};

export function createZmqDriver(options: DriverOptions): Driver {
  return new ZmqDriver(options);
}

class ZmqDriver implements Driver {
  readonly name = 'zmq';
  readonly capabilities = CAPABILITIES;
  readonly #options: DriverOptions;
  readonly #urls: ZmqEndpoints[];
  readonly #listeners = new Set<(event: DriverEvent) => void>();
  #server: ZmqServer | undefined;
  #client: ZmqClient | undefined;
  #status: DriverStatus = 'connecting';
  #dropped = 0;

  constructor(options: DriverOptions) {
    this.#options = options;
    this.#urls = options.urls.flatMap((u) => u.split(',')).map((u) => u.trim()).filter((u) => u !== '').map(parseZmqUrl);
  }

  get status(): DriverStatus {
    return this.#status;
  }

  on(listener: (event: DriverEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: DriverEvent): void {
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch (err) {
        this.#options.logger?.error({ err }, 'driver listener threw');
      }
    }
  }

  connect(): Promise<void> {
    if (this.#status === 'closed') return Promise.reject(new TransportError(TransportErrorCode.CLOSED, 'driver is closed'));
    if (this.#urls.length === 0) return Promise.reject(new TransportError(TransportErrorCode.CONNECT, 'zmq: no URL given'));
    // ZeroMQ connects in the background and reconnects by itself: nothing to wait for here.
    if (this.#status === 'connecting') {
      this.#status = 'connected';
      this.#emit({ type: 'status', status: 'connected', server: this.#urls[0]!.commands });
    }
    return Promise.resolve();
  }

  #live(): void {
    if (this.#status === 'closed') throw new TransportError(TransportErrorCode.CLOSED, 'driver is closed');
    if (this.#status === 'connecting') throw new TransportError(TransportErrorCode.CLOSED, 'driver is not connected yet');
  }

  #serverSide(): ZmqServer {
    this.#live();
    if (this.#server === undefined) {
      const server = new ZmqServer(this.#urls[0]!, this.#options.bufferMessages ?? DEFAULT_BUFFER_MESSAGES, this.#options.logger);
      this.#server = server;
      server.bind().catch((err: unknown) => {
        const error = new TransportError(TransportErrorCode.CONNECT, `zmq: cannot bind ${this.#urls[0]!.commands} / ${this.#urls[0]!.events}: ${(err as Error).message}`, { cause: err });
        this.#emit({ type: 'error', error });
      });
    }
    return this.#server;
  }

  #clientSide(): ZmqClient {
    this.#live();
    this.#client ??= new ZmqClient(this.#urls, this.#options.bufferMessages ?? DEFAULT_BUFFER_MESSAGES, this.#options.logger);
    return this.#client;
  }

  /**
   * A serving driver (an agent: it bound its sockets) publishes on its PUB socket. A client's
   * publish is a fire-and-forget command (the `<prefix>.cmd.async.*` lane): it goes to the agents
   * whose lanes serve the subject (one of them for a competing lane); nobody → dropped, counted.
   */
  publish(subject: string, data: Uint8Array, options?: PublishOptions): PublishOutcome {
    if (this.#status === 'closed' || !isValidSubject(subject)) {
      this.#dropped++;
      return 'dropped';
    }
    if (this.#server !== undefined) {
      this.#server.publish(subject, data);
      return 'sent';
    }
    const client = this.#clientSide();
    const headers = options?.headers === undefined ? undefined : { ...options.headers };
    const send = (): boolean => {
      const { eps, competing } = client.servers(subject);
      const targets = competing ? [client.pick(eps)].filter((e) => e !== undefined) : eps;
      for (const ep of targets) client.send(ep, { kind: Kind.ONE, subject, id: '', headers, data });
      return targets.length > 0;
    };
    if (!send()) {
      void client.refresh(LANE_DISCOVERY_MS).then(() => {
        if (!send()) this.#dropped++;
      });
    }
    return 'sent';
  }

  subscribe(pattern: string, handler: (message: InboundMessage) => void, options?: { queue?: string }): Subscription {
    if (options?.queue !== undefined) throw new TransportError(TransportErrorCode.UNSUPPORTED, 'zmq: PUB/SUB has no queue groups');
    const off = this.#clientSide().subscribe(pattern, handler);
    return { subject: pattern, unsubscribe: () => Promise.resolve(off()) };
  }

  serve(lane: Lane, handler: ServeHandler): Subscription {
    const remove = this.#serverSide().addLane(lane, handler);
    return { subject: lane.subject, unsubscribe: () => Promise.resolve(remove()) };
  }

  async request(subject: string, data: Uint8Array, options: RequestOptions = {}): Promise<InboundMessage> {
    const [reply] = await this.#call(subject, data, options, undefined);
    return reply!;
  }

  gather(subject: string, data: Uint8Array, options: GatherOptions = {}): Promise<InboundMessage[]> {
    return this.#call(subject, data, options, { expect: options.expect });
  }

  #call(subject: string, data: Uint8Array, options: RequestOptions, gather: { expect: number | undefined } | undefined): Promise<InboundMessage[]> {
    const client = this.#clientSide();
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const signal = options.signal;
    if (signal?.aborted === true) return Promise.reject(new TransportError(TransportErrorCode.ABORTED, `request to ${subject} was aborted`, { cause: signal.reason }));
    const id = randomUUID();
    const headers = options.headers === undefined ? undefined : { ...options.headers };
    return new Promise((resolve, reject) => {
      const got: InboundMessage[] = [];
      let outstanding = 0;
      let settled = false;
      const noResponders = () => new TransportError(TransportErrorCode.NO_RESPONDERS, `no responders on ${subject}`);
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        stop();
        if (err === undefined) resolve(got);
        else reject(err);
      };
      const onAbort = () => finish(new TransportError(TransportErrorCode.ABORTED, `request to ${subject} was aborted`, { cause: signal?.reason }));
      const timer = setTimeout(() => finish(gather === undefined ? new TransportError(TransportErrorCode.TIMEOUT, `request to ${subject} timed out after ${timeoutMs} ms`) : undefined), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });

      /** Sends to the agents serving `target`; false when none does. */
      const dispatch = async (target: string, all: boolean): Promise<boolean> => {
        let found = client.servers(target);
        if (found.eps.length === 0) {
          await client.refresh(Math.min(timeoutMs, LANE_DISCOVERY_MS));
          found = client.servers(target);
        }
        if (settled) return true;
        const eps = all ? found.eps : [found.competing ? client.pick(found.eps) : found.eps[0]].filter((e) => e !== undefined);
        for (const ep of eps) {
          outstanding++;
          client.send(ep, { kind: Kind.REQ, subject: target, id, headers, data });
        }
        return eps.length > 0;
      };
      const stop = client.expect(id, (_from, m) => {
        if (m.kind === Kind.REP) {
          outstanding--;
          got.push({ subject: m.subject, data: m.data });
          if (gather === undefined || (gather.expect !== undefined && got.length >= gather.expect) || outstanding <= 0) finish();
        } else if (m.kind === Kind.NOR) {
          outstanding--;
          if (outstanding <= 0) finish(gather === undefined ? noResponders() : undefined);
        } else if (m.kind === Kind.FWD) {
          // The agent handed the request to another node's lane: carry it there, same id.
          outstanding--;
          dispatch(m.subject, false).then(
            (ok) => {
              if (!ok) finish(gather === undefined ? noResponders() : undefined);
            },
            (err: unknown) => finish(err as Error),
          );
        }
      });
      dispatch(subject, gather !== undefined).then(
        (ok) => {
          if (!ok) finish(gather === undefined ? noResponders() : undefined);
        },
        (err: unknown) => finish(err as Error),
      );
    });
  }

  ensureStream(_spec: StreamSpec): Promise<void> {
    return Promise.reject(new TransportError(TransportErrorCode.UNSUPPORTED, 'zmq has no durable streams'));
  }

  consumeDurable(_options: ConsumeDurableOptions, _handler: (message: DurableMessage) => void): Promise<Subscription> {
    return Promise.reject(new TransportError(TransportErrorCode.UNSUPPORTED, 'zmq has no durable streams'));
  }

  async flush(): Promise<void> {
    if (this.#status !== 'connected') return;
    try {
      await this.#server?.flush();
    } catch (err) {
      throw new TransportError(TransportErrorCode.CONNECT, `zmq: cannot bind: ${(err as Error).message}`, { cause: err });
    }
    await this.#client?.subscriptionsSettled(this.#options.connectTimeoutMs ?? 5000);
    await this.#client?.idle();
  }

  stats(): DriverStats {
    return {
      published: this.#server?.published ?? 0,
      buffered: 0,
      dropped: this.#dropped + (this.#server?.dropped ?? 0) + (this.#client?.dropped ?? 0),
      pending: this.#server?.pending ?? 0,
      reconnects: 0,
    };
  }

  async close(): Promise<void> {
    if (this.#status === 'closed') return;
    // Only outgoing messages are flushed: waiting on subscriptions would wait on agents that may be gone.
    await this.#server?.flush().catch(() => undefined);
    await this.#client?.idle();
    this.#status = 'closed';
    this.#emit({ type: 'status', status: 'closed' });
    this.#client?.close();
    this.#server?.close();
  }
}
