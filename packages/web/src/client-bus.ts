/**
 * DashboardBus over the SDK (@fsbus/client): broadcast gather for the node cards, direct-lane
 * requests for the controls, one `>` event stream for everything else. Any driver the SDK takes.
 */
import type { EventPayload, ReplyEnvelope } from '@fsbus/contract';
import { ClientError, ClientErrorCode, connect, ReplyError, type BusEvent, type EventStream, type FsbusClient } from '@fsbus/client';
import type { BusOptions, DashboardBus } from './bus-port.js';
import type { BusState } from './protocol.js';

/** Events the SDK holds for the dashboard before dropping the oldest (a stalled event loop only). */
const EVENT_BUFFER = 10_000;

export class ClientBus implements DashboardBus {
  readonly #options: BusOptions;
  readonly #stateListeners = new Set<(s: BusState) => void>();
  readonly #eventListeners = new Set<(e: EventPayload) => void>();
  #client: FsbusClient | undefined;
  #stream: EventStream | undefined;
  #pump: Promise<void> | undefined;
  #state: BusState = 'connecting';
  #reconnects = 0;
  /** Event listeners that threw (the event was not shown; the feed went on). */
  #listenerFailures = 0;

  constructor(options: BusOptions = {}) {
    this.#options = options;
  }

  get state(): BusState {
    return this.#state;
  }

  get reconnects(): number {
    return this.#reconnects;
  }

  async connect(): Promise<void> {
    const o = this.#options;
    const client = await connect({
      name: 'fsbus-web',
      ...(o.driver === undefined ? {} : { driver: o.driver }),
      ...(o.servers === undefined ? {} : { servers: o.servers }),
      ...(o.prefix === undefined ? {} : { prefix: o.prefix }),
      ...(o.inboxPrefix === undefined ? {} : { inboxPrefix: o.inboxPrefix }),
      ...(o.auth === undefined ? {} : { auth: o.auth }),
      ...(o.tls === undefined ? {} : { tls: o.tls }),
    });
    this.#client = client;
    client.driver.on((e) => {
      if (e.type !== 'status') return;
      if (e.status === 'connected' && this.#state === 'reconnecting') this.#reconnects++;
      this.#setState(e.status);
    });
    const stream = client.events('>', { bufferSize: EVENT_BUFFER });
    this.#stream = stream;
    await stream.ready;
    this.#pump = this.#run(stream);
    this.#setState(client.driver.status);
  }

  async #run(stream: EventStream): Promise<void> {
    try {
      for await (const e of stream) {
        const payload = toPayload(e);
        for (const l of this.#eventListeners) {
          // One event a listener cannot take must not end the feed for every later one.
          try {
            l(payload);
          } catch (err) {
            this.#listenerFailed(err);
          }
        }
      }
    } catch {
      // The stream ends with an error only when the client closes.
    }
  }

  /** On stderr: the first failure, then every 1,000th (a bad publisher may send many). */
  #listenerFailed(err: unknown): void {
    this.#listenerFailures++;
    if (this.#listenerFailures !== 1 && this.#listenerFailures % 1000 !== 0) return;
    process.emitWarning(`an event could not be shown (${this.#listenerFailures} so far): ${err instanceof Error ? err.message : String(err)}`, 'FsbusDashboardWarning');
  }

  #setState(state: BusState): void {
    if (state === this.#state) return;
    this.#state = state;
    for (const l of this.#stateListeners) l(state);
  }

  onState(listener: (state: BusState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  onEvent(listener: (event: EventPayload) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  gather(command: string, timeoutMs: number): Promise<ReplyEnvelope[]> {
    return this.#connected().gather(command, { timeoutMs });
  }

  async request(body: Record<string, unknown>, nodeId: string | undefined, timeoutMs: number): Promise<ReplyEnvelope> {
    const { command, ...fields } = body;
    try {
      return await this.#connected().request(String(command), fields, { timeoutMs, ...(nodeId === undefined ? {} : { node: nodeId }) });
    } catch (err) {
      // A refusal is an answer: the page shows the envelope's message and code as they are.
      if (err instanceof ReplyError) return err.reply;
      throw err;
    }
  }

  #connected(): FsbusClient {
    if (this.#client === undefined) throw new ClientError(ClientErrorCode.DISCONNECTED, 'the dashboard is not connected to the bus yet');
    return this.#client;
  }

  async close(): Promise<void> {
    await this.#stream?.close();
    await this.#client?.close();
    await this.#pump;
    this.#setState('closed');
    this.#stateListeners.clear();
    this.#eventListeners.clear();
  }
}

function toPayload(e: BusEvent): EventPayload {
  const p: EventPayload = { event_name: e.name, timestamp: e.timestamp, node_id: e.nodeId, headers: { ...e.headers } };
  if (e.uuid !== undefined) p.uuid = e.uuid;
  if (e.body !== undefined) p.body = e.body;
  return p;
}
