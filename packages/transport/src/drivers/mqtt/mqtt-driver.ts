/**
 * The MQTT 5 driver (mqtt.js). Subjects become topics (`.` → `/`); a competing lane is a shared
 * subscription `$share/<group>/<topic>`; requests carry a Response Topic (the client's own
 * `<ns>/reply/<client id>`) and Correlation Data; headers are user properties. The broker keeps one
 * subscription per topic filter: the driver too, with every handler on it, and an MQTT 5
 * subscription identifier per filter, so an incoming message reaches exactly the handlers whose
 * filter matched. QoS 1 throughout: `flush()` waits for the broker's PUBACKs; a PUBACK
 * "No matching subscribers" to a request answers it with no responders at once. At most a window
 * of publishes awaits its PUBACK (pending-bytes.ts); what follows waits in the bounded outbox.
 * A PUBLISH over the broker's Maximum Packet Size (its CONNACK) is refused before it is sent: the
 * broker would disconnect the client for it, and mqtt.js would send it again on every reconnect.
 * So is a request whose Response Topic no PUBLISH may use (mqtt-util.ts `responseTopicProblem`),
 * or one of the agent's own topics (`ownTopicProblem`: forward_to's rule): it is not run.
 */
import { randomUUID } from 'node:crypto';
import { buildSubjects, type Subjects } from '@fsbus/contract';
import { connect, type IConnackPacket, type IDisconnectPacket, type IPublishPacket, type MqttClient, type Packet } from 'mqtt';
import { BaseDriver, DEFAULT_CONNECT_TIMEOUT_MS, backoffMs, urlList } from '../base-driver.js';
import { connectError, millisecondsOption } from '../driver-core.js';
import { assertPattern } from '../../subject-pattern.js';
import type { DriverCapabilities, DriverOptions, GatherOptions, InboundMessage, Lane, RequestOptions, ServeHandler, Subscription } from '../../driver.js';
import { TransportError, TransportErrorCode } from '../../errors.js';
import { assertTlsFilesReadable } from '../../tls-material.js';
import { runsOnArrival, type OutboxItem } from '../../outbox.js';
import { PendingBytes } from '../../pending-bytes.js';
import { writeWindowBytes } from '../../defaults.js';
import { fromTopic, MAX_TOPIC_BYTES, mqttOptions, ownTopicProblem, publishPacketBytes, REFUSED_RESPONSE_TOPIC_LOG, responseTopicProblem, shareGroup, subjectTopicProblem, toFilter, toTopic } from './mqtt-util.js';
import { ConnectionLosses } from './mqtt-connection-losses.js';

/** @default 'freeswitch' */
export const DEFAULT_MQTT_NAMESPACE = 'freeswitch';
/** MQTT 5 PUBACK reason code "No matching subscribers". */
const NO_MATCHING_SUBSCRIBERS = 16;
/** MQTT 5 DISCONNECT reason code "Packet too large". */
const PACKET_TOO_LARGE = 0x95;
const REPLY_SUB_ID = 1;
/**
 * How long flush() (so close() and the agent's stop) waits for the PUBACKs of what is in flight
 * before it gives them up, each counted lost: the keepalive; a healthy broker answers far sooner,
 * but one may never acknowledge a publish while its connection stays up (INVALID_PUBACK_HINT).
 */
export const MQTT_FLUSH_ACK_WAIT_MS = 10_000;
/** mqtt-packet's error for a PUBACK whose reason code MQTT 5 does not allow there: the PUBACK is never handed on. */
const INVALID_PUBACK = 'Invalid puback reason code';
/** Said with INVALID_PUBACK: which broker setting sends one, and what to configure instead. */
export const INVALID_PUBACK_HINT =
  "the broker answered a publish with a reason code MQTT 5 does not allow in a PUBACK, most likely Mosquitto's message_size_limit refusing a message too large with 0x95: that publish is never acknowledged, and mqtt.js may misread what the connection brings after it (docs/drivers/mqtt.md). Set max_packet_size instead, which the broker advertises and fsbus checks before sending";
/**
 * Every subscription (lanes, events, replies): QoS 1, and Retain Handling 2, no retained message
 * sent at subscribe. fsbus never retains, but another client may leave one on a lane or events
 * topic; with a clean session each reconnect subscribes anew, and the broker would hand it over
 * every time: a request run again, a stale event seen as live. Retain As Published stays off, so a
 * live publish somebody sent with retain set arrives as any other.
 */
const SUBSCRIBE_QOS_NO_RETAINED = { qos: 1, rh: 2, rap: false } as const;
/**
 * What `maxPayloadBytes` keeps back from the broker's Maximum Packet Size for all but the payload:
 * the fixed header, the topic, and the driver's own properties (a reply topic, a correlation id,
 * an expiry: under 200 bytes). Every PUBLISH, caller headers included, is weighed exactly when sent.
 */
export const MQTT_PACKET_RESERVE_BYTES = 1024;
/** Stands for a request's correlation id (a UUID) when it is weighed before it has one. */
const CORRELATION_ID_STAND_IN = '00000000-0000-0000-0000-000000000000';
/** A refused Response Topic is logged cut to this many characters: it is whatever the requester put there. */
const LOGGED_TOPIC_CHARS = 300;
/**
 * Correlation Data ⇄ the driver's correlation id. MQTT 5 makes it binary (many libraries send raw
 * UUID bytes): latin1 maps each byte to one char and back, so a foreign requester's bytes are
 * echoed as sent (UTF-8 turned `ff008001` into `efbfbd00efbfbd01`). The driver's own ids are ASCII.
 */
const CORRELATION_ENCODING = 'latin1';

const CAPABILITIES: DriverCapabilities = {
  requestReply: true,
  competingConsumers: true,
  wildcards: true,
  headers: true,
  durableStreams: false,
  scatterGather: true,
  promptNoResponders: true,
};

type OnMessage = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

/**
 * A PUBLISH sent at most once: one that runs on arrival (a request, a fire-and-forget command, a
 * hand-off), or a reply.
 */
interface OncePublish {
  /** The correlation id of a request of this driver's own (its reply comes to this driver). */
  corr: string | undefined;
  /** A reply: taken back at a connection loss, it is a drop (counted); what runs on arrival is not. */
  reply: boolean;
  /** Taken back from mqtt.js at a connection loss: not sent again. */
  withdrawn: boolean;
}

/** One broker subscription: a topic filter, its subscription identifier, every handler on it. */
interface FilterSub {
  filter: string;
  id: number;
  handlers: Set<OnMessage>;
}

/** Characters MQTT reserves in topic levels, and U+0000, which no MQTT string may hold (a subject token may not hold them). */
const MQTT_RESERVED = '/+#\u0000';

export function createMqttDriver(options: DriverOptions): MqttDriver {
  return new MqttDriver(options);
}

export class MqttDriver extends BaseDriver {
  readonly name = 'mqtt';
  readonly capabilities = CAPABILITIES;
  readonly #urls: string[];
  readonly #clientId = `fsbus-${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  readonly #replyTopic: string;
  /** The namespace's subjects: the agent's own topics no Response Topic may name. */
  readonly #subjects: Subjects;
  /** By topic filter, and by subscription identifier. */
  readonly #subs = new Map<string, FilterSub>();
  readonly #subIds = new Map<number, FilterSub>();
  readonly #ops = new Set<Promise<unknown>>();
  /** By the properties object rawSend gave mqtt.js (the PUBLISH packet carries that very object). */
  readonly #onceByProps = new WeakMap<object, OncePublish>();
  /** PUBLISH message id → what runs on arrival, from its sending until its PUBACK. */
  readonly #onceIds = new Map<number, OncePublish>();
  /**
   * Publishes awaiting their PUBACK. One count for every connection: mqtt.js keeps an
   * unacknowledged publish and sends it again on the reconnect, ahead of what is published then.
   */
  readonly #window = new PendingBytes(writeWindowBytes(this.options.bufferBytes), () => this.releaseHeld());
  /** PUBLISH message id → its size on the wire, from its sending until its PUBACK. */
  readonly #inFlightBytes = new Map<number, number>();
  /** The broker's Maximum Packet Size from its last CONNACK (kept while reconnecting); undefined: no limit said. */
  #maxPacket: number | undefined;
  #client: MqttClient | undefined;
  readonly #losses = new ConnectionLosses(this.options.logger);
  /** Requests whose Response Topic no reply may be published to: counted each, said once per burst. */
  readonly #refuseResponseTopic = this.requestRefusal(REFUSED_RESPONSE_TOPIC_LOG);
  #nextSubId = REPLY_SUB_ID + 1;
  #attempt = 0;
  /** flush()'s bound on awaiting PUBACKs (`flushAckWaitMs`). */
  readonly #flushAckWaitMs: number;

  constructor(options: DriverOptions) {
    super(options);
    assertTlsFilesReadable(options.tls);
    this.#flushAckWaitMs = millisecondsOption('flushAckWaitMs', options.flushAckWaitMs, MQTT_FLUSH_ACK_WAIT_MS);
    this.#urls = urlList(options.urls);
    this.#replyTopic = `${options.namespace ?? DEFAULT_MQTT_NAMESPACE}/reply/${this.#clientId}`;
    this.#subjects = buildSubjects(options.namespace ?? DEFAULT_MQTT_NAMESPACE);
    const reply: FilterSub = { filter: this.#replyTopic, id: REPLY_SUB_ID, handlers: new Set() };
    reply.handlers.add((topic, payload, packet) => {
      const corr = packet.properties?.correlationData;
      this.deliverReply(corr === undefined ? undefined : Buffer.from(corr).toString(CORRELATION_ENCODING), { subject: fromTopic(topic), data: bytes(payload) });
    });
    this.#subs.set(reply.filter, reply);
    this.#subIds.set(reply.id, reply);
  }

  protected replyAddress(): string {
    return this.#replyTopic;
  }

  /**
   * What a payload may weigh: the broker's Maximum Packet Size (its CONNACK, kept while
   * reconnecting) less MQTT_PACKET_RESERVE_BYTES; undefined before connecting, after close, or when
   * the broker sets no limit.
   */
  get maxPayloadBytes(): number | undefined {
    if (this.status === 'closed' || this.#maxPacket === undefined) return undefined;
    return Math.max(0, this.#maxPacket - MQTT_PACKET_RESERVE_BYTES);
  }

  async connect(): Promise<void> {
    this.assertOpen();
    if (this.#client !== undefined) return;
    const timeout = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const client = connect(mqttOptions(this.#urls, this.options, this.#clientId, timeout));
    // From the first CONNACK on: its limit weighs the first publish.
    client.on('packetreceive', (packet: Packet) => this.#onPacketReceive(client, packet));
    try {
      await new Promise<void>((resolve, reject) => {
        let closes = 0;
        let last: Error | undefined;
        const done = (err?: Error) => {
          client.off('connect', onConnect);
          client.off('error', onError);
          client.off('close', onClose);
          if (err === undefined) resolve();
          else reject(err);
        };
        const onConnect = () => done();
        // A CONNACK refusal (numeric MQTT reason code: bad credentials…) is final; a socket error
        // is followed by 'close' and the next server of the list is tried.
        const onError = (err: Error & { code?: unknown }) => {
          if (typeof err.code === 'number') done(err);
          else last = err;
        };
        // Each server of the list failed once: give up (later, mqtt.js retries forever).
        const onClose = () => {
          if (++closes >= this.#urls.length) done(last ?? new Error('connection closed'));
        };
        client.on('connect', onConnect);
        client.on('error', onError);
        client.on('close', onClose);
      });
    } catch (err) {
      await client.endAsync(true).catch(() => undefined);
      if (this.status === 'closed') throw this.closedDuringConnect();
      throw connectError('MQTT', this.#urls, err);
    }
    if (this.status === 'closed') {
      // close() ran meanwhile: it could not end a client it did not have yet.
      await client.endAsync(true).catch(() => undefined);
      throw this.closedDuringConnect();
    }
    this.#client = client;
    client.on('message', (topic, payload, packet) => this.#onMessage(topic, payload, packet));
    client.on('packetsend', (packet: Packet) => this.#onPacketSend(packet));
    client.on('disconnect', (packet: IDisconnectPacket) => this.#onDisconnect(client, packet));
    client.on('error', (err: Error & { code?: unknown }) => {
      if (err.message === INVALID_PUBACK) {
        this.emit({ type: 'error', error: new TransportError(TransportErrorCode.BROKER, `${INVALID_PUBACK}: ${INVALID_PUBACK_HINT}`, { cause: err }) });
        return;
      }
      this.#losses.failed(err);
      // A CONNACK refusal while reconnecting (a password changed meanwhile): said once per refusal, not at every retry.
      if (typeof err.code === 'number' && this.status !== 'connected') this.reconnectRefused('MQTT', this.#urls.join(','), err);
      else this.emit({ type: 'error', error: err });
    });
    client.on('close', () => {
      this.#withdrawInFlight(client);
      if (this.status === 'closed') return;
      this.#losses.closed(`${client.options.host}:${client.options.port}`);
      if (this.status === 'connected') this.setStatus('reconnecting');
      // mqtt.js retries at a fixed period: make it a jittered exponential backoff.
      client.options.reconnectPeriod = backoffMs(this.#attempt++);
    });
    client.on('connect', () => void this.#restore(client));
    await this.#restore(client);
  }

  /** After every CONNACK (clean session): subscriptions back, then the outbox. */
  async #restore(client: MqttClient): Promise<void> {
    this.#attempt = 0;
    // mqtt.js leaves Nagle on: small requests would wait for the previous segment's ACK.
    (client.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
    for (const s of [...this.#subs.values()]) {
      try {
        await client.subscribeAsync(s.filter, { ...SUBSCRIBE_QOS_NO_RETAINED, properties: { subscriptionIdentifier: s.id } });
      } catch (err) {
        if (!client.connected) return; // the connection dropped: the next CONNACK tries again
        // One refused filter is reported, never fatal: the others (and the outbox) go on.
        this.emit({ type: 'error', error: new TransportError(TransportErrorCode.BROKER, `cannot restore the subscription to ${s.filter}: ${(err as Error).message}`, { cause: err }) });
      }
    }
    if (this.status === 'closed' || !client.connected) return;
    this.online(this.#urls.join(','));
  }

  #onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const raw = packet.properties?.subscriptionIdentifier;
    const ids = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
    for (const id of ids) {
      const s = this.#subIds.get(id);
      if (s === undefined) continue;
      for (const onMessage of [...s.handlers]) {
        try {
          onMessage(topic, payload, packet);
        } catch (err) {
          this.options.logger?.error({ err, topic }, 'subscriber threw');
        }
      }
    }
  }

  /**
   * QoS 1 is at least once: mqtt.js sends every PUBLISH still waiting for its PUBACK again after a
   * reconnect, and the broker may have handed the first copy to a server already — a command
   * would run twice. What runs on arrival (requests, fire-and-forget commands, hand-offs: see
   * `runsOnArrival`) is taken back instead; a requester waits for a reply or times out, a
   * fire-and-forget command may or may not have run. Replies are taken back too, and counted as
   * dropped (the requester may have one): a reply the broker closed the connection for (a
   * Response Topic it took on the request but refuses on a PUBLISH) went again on every reconnect,
   * before the subscriptions came back, for ever. Events still go again.
   */
  #withdrawInFlight(client: MqttClient): void {
    if (this.#onceIds.size === 0) return;
    const inFlight = [...this.#onceIds];
    this.#onceIds.clear();
    let runs = 0;
    let replies = 0;
    for (const [id, once] of inFlight) {
      // One mqtt.js already settled (its write failed) has no callback left to run.
      if (client.outgoing[id] === undefined) continue;
      once.withdrawn = true;
      client.removeOutgoingMessage(id);
      this.#inFlightBytes.delete(id);
      if (once.reply) replies++;
      else runs++;
    }
    if (runs > 0) this.options.logger?.warn({ requests: runs }, 'connection lost with commands unacknowledged: not sent again (they may have run)');
    if (replies > 0) {
      this.outbox.dropped += replies;
      this.outbox.repliesDropped += replies;
      this.options.logger?.warn({ replies }, 'connection lost with replies unacknowledged: dropped, not sent again (their requesters may have them)');
    }
  }

  #onPacketSend(packet: Packet): void {
    if (packet.cmd !== 'publish' || packet.messageId === undefined) return;
    this.#inFlightBytes.set(packet.messageId, publishPacketBytes(packet.topic, Buffer.byteLength(packet.payload), packet.properties));
    const once = packet.properties === undefined ? undefined : this.#onceByProps.get(packet.properties);
    // A message id is reused once free: an event taking it over from a settled command is not withdrawn.
    if (once === undefined) this.#onceIds.delete(packet.messageId);
    else this.#onceIds.set(packet.messageId, once);
  }

  #onPacketReceive(client: MqttClient, packet: Packet): void {
    if (packet.cmd === 'connack') return this.#onConnack(client, packet);
    if (packet.cmd === 'disconnect') return this.#losses.disconnected(packet);
    if (packet.cmd !== 'puback' || packet.messageId === undefined) return;
    this.#inFlightBytes.delete(packet.messageId);
    const once = this.#onceIds.get(packet.messageId);
    if (once === undefined) return;
    this.#onceIds.delete(packet.messageId);
    if (once.corr !== undefined && packet.reasonCode === NO_MATCHING_SUBSCRIBERS) this.noResponders(once.corr);
  }

  /**
   * The broker said its Maximum Packet Size (or none: no limit) before mqtt.js sends again what was
   * not acknowledged: what no longer fits is dropped now, not sent into a disconnect on every
   * reconnect.
   */
  #onConnack(client: MqttClient, packet: IConnackPacket): void {
    if ((packet.reasonCode ?? 0) >= 0x80) return; // refused: mqtt.js reports it as an error
    this.#losses.accepted();
    // Taken back, whether or not the connection lasts until the subscriptions are restored (mqtt.js
    // first sends again what was not acknowledged): a broker closing it at once is still counted.
    if (this.status === 'reconnecting') this.reconnects++;
    this.#maxPacket = packet.properties?.maximumPacketSize;
    const max = this.#maxPacket;
    if (max !== undefined) this.#dropInFlight(client, [...this.#inFlightBytes].filter(([, n]) => n > max).map(([id]) => id), max);
  }

  /**
   * The broker disconnected us for a packet too large (a limit it did not say, or smaller than it
   * said): the largest publish in flight is dropped, so each such disconnect drops one and mqtt.js
   * cannot send the same packet again forever.
   */
  #onDisconnect(client: MqttClient, packet: IDisconnectPacket): void {
    if (packet.reasonCode !== PACKET_TOO_LARGE) return;
    const live = [...this.#inFlightBytes].filter(([id]) => client.outgoing[id] !== undefined).sort((a, b) => b[1] - a[1]);
    const largest = live[0];
    this.options.logger?.warn({ max_packet_bytes: this.#maxPacket }, 'mqtt: the broker disconnected for a packet too large (reason 0x95)');
    if (largest !== undefined) this.#dropInFlight(client, [largest[0]], this.#maxPacket);
  }

  /** Takes publishes back from mqtt.js for good: each is counted dropped (and its requester told) by its publish callback. */
  #dropInFlight(client: MqttClient, ids: number[], max: number | undefined): void {
    for (const id of ids) {
      if (client.outgoing[id] !== undefined) {
        this.options.logger?.warn({ bytes: this.#inFlightBytes.get(id), max_packet_bytes: max }, "mqtt: unacknowledged publish over the broker's maximum packet size: not sent again, dropped");
      }
      this.#takeBack(client, id);
    }
  }

  /** #publishOf's refusal of a publish. */
  override subjectProblem(subject: string): string | undefined {
    return subjectTopicProblem(subject);
  }

  /** The PUBLISH of `item`: its topic and properties (throws for a subject that can never be a topic). */
  #publishOf(item: OutboxItem): { topic: string; properties: NonNullable<IPublishPacket['properties']> } {
    let topic = item.subject;
    const properties: NonNullable<IPublishPacket['properties']> = {};
    if (item.correlationId !== undefined) properties.correlationData = Buffer.from(item.correlationId, CORRELATION_ENCODING);
    if (item.kind === 'reply') {
      // serve() refuses such a Response Topic already: no reply reaches the broker as a protocol error.
      const why = this.#responseTopicProblem(topic);
      if (why !== undefined) throw new TransportError(TransportErrorCode.BROKER, `reply to '${topic.slice(0, LOGGED_TOPIC_CHARS)}': ${why}`);
    } else {
      const why = subjectTopicProblem(item.subject);
      if (why !== undefined) throw new TransportError(TransportErrorCode.BROKER, `invalid subject '${item.subject.slice(0, LOGGED_TOPIC_CHARS)}': ${why}`);
      topic = toTopic(item.subject);
      if (item.replyTo !== undefined) properties.responseTopic = item.replyTo;
      // None when empty: mqtt-packet writes no packet at all for an empty user-property map.
      if (item.headers !== undefined && hasKeys(item.headers)) properties.userProperties = { ...item.headers };
      // Worth delivering only for the time the requester still waits (counted from now, not from the request).
      if (item.deadline !== undefined) properties.messageExpiryInterval = Math.max(1, Math.ceil((item.deadline - performance.now()) / 1000));
    }
    return { topic, properties };
  }

  /** Why the broker would refuse this PUBLISH for its size (and disconnect us), or undefined. */
  #oversize(bytes: number): string | undefined {
    const max = this.#maxPacket;
    return max !== undefined && bytes > max ? `the message is ${bytes} bytes with its topic and properties, over the broker's maximum packet size of ${max} bytes` : undefined;
  }

  /** A request or gather that can never pass the broker's limit: refused at once, not left to time out. */
  #unsendableRequest(what: string, subject: string, data: Uint8Array, headers: Record<string, string> | undefined): TransportError | undefined {
    if (this.#maxPacket === undefined) return undefined; // no limit said: nothing to weigh
    const item: OutboxItem = { kind: 'request', subject, data, headers, replyTo: this.#replyTopic, correlationId: CORRELATION_ID_STAND_IN, deadline: performance.now() };
    let why: string | undefined;
    try {
      const { topic, properties } = this.#publishOf(item);
      why = this.#oversize(publishPacketBytes(topic, data.byteLength, properties));
    } catch {
      return undefined; // an invalid subject: refused as before, by rawSend
    }
    return why === undefined ? undefined : new TransportError(TransportErrorCode.UNSUPPORTED, `${what} ${subject}: ${why}`);
  }

  override request(subject: string, data: Uint8Array, options: RequestOptions = {}): Promise<InboundMessage> {
    const err = this.#unsendableRequest('request to', subject, data, options.headers);
    return err === undefined ? super.request(subject, data, options) : Promise.reject(err);
  }

  override gather(subject: string, data: Uint8Array, options: GatherOptions = {}): Promise<InboundMessage[]> {
    const err = this.#unsendableRequest('gather on', subject, data, options.headers);
    return err === undefined ? super.gather(subject, data, options) : Promise.reject(err);
  }

  protected rawSend(item: OutboxItem): void {
    const client = this.#client;
    if (client === undefined) throw new TransportError(TransportErrorCode.CLOSED, 'not connected');
    const { topic, properties } = this.#publishOf(item);
    const payload = Buffer.from(item.data.buffer, item.data.byteOffset, item.data.byteLength);
    const bytes = publishPacketBytes(topic, payload.byteLength, properties);
    const tooLarge = this.#oversize(bytes);
    if (tooLarge !== undefined) {
      const err = new TransportError(TransportErrorCode.UNSUPPORTED, `${item.subject}: ${tooLarge}`);
      // One of ours that waited in the outbox while the limit was unknown or larger: its requester hears now.
      if (item.kind === 'request' && item.correlationId !== undefined) this.requestRefused(item.correlationId, err);
      throw err;
    }
    let once: OncePublish | undefined;
    const reply = item.kind === 'reply';
    if (reply || runsOnArrival(item)) {
      // mqtt.js puts this properties object on the PUBLISH it sends (and sends again): #onPacketSend finds it.
      once = { corr: !reply && item.replyTo === this.#replyTopic ? item.correlationId : undefined, reply, withdrawn: false };
      this.#onceByProps.set(properties, once);
    }
    const settled = this.#window.add(bytes);
    const op = new Promise<void>((resolve) => {
      client.publish(topic, payload, { qos: 1, properties }, (err) => {
        settled();
        if (once?.withdrawn === true) return resolve();
        if (err !== undefined && err !== null) {
          this.droppedAfterSend(item);
          this.options.logger?.warn({ err, subject: item.subject }, 'publish refused, dropped');
          if (item.kind === 'request' && item.correlationId !== undefined) this.requestRefused(item.correlationId, err);
        }
        resolve();
      });
    });
    this.#ops.add(op);
    void op.then(() => this.#ops.delete(op));
  }

  protected override get writeWindow(): PendingBytes {
    return this.#window;
  }

  subscribe(pattern: string, handler: (message: InboundMessage) => void, options?: { queue?: string }): Subscription {
    assertPattern(pattern, MQTT_RESERVED);
    const filter = options?.queue === undefined ? toFilter(pattern) : `$share/${shareGroup(options.queue)}/${toFilter(pattern)}`;
    return this.#add(pattern, filter, (topic, payload, packet) => {
      const props = packet.properties?.userProperties;
      handler({ subject: fromTopic(topic), data: bytes(payload), ...(props === undefined ? {} : { headers: flatten(props) }) });
    });
  }

  serve(lane: Lane, handler: ServeHandler): Subscription {
    assertPattern(lane.subject, MQTT_RESERVED);
    const filter = lane.competing ? `$share/${shareGroup(lane.group ?? lane.subject)}/${toFilter(lane.subject)}` : toFilter(lane.subject);
    return this.#add(lane.subject, filter, (topic, payload, packet) => {
      const p = packet.properties;
      const headers = p?.userProperties === undefined ? undefined : flatten(p.userProperties);
      const message: InboundMessage = { subject: fromTopic(topic), data: bytes(payload), ...(headers === undefined ? {} : { headers }) };
      const corr = p?.correlationData === undefined ? undefined : Buffer.from(p.correlationData).toString(CORRELATION_ENCODING);
      // The broker sends the expiry interval left: a hand-off is not sent after the requester gave up.
      const deadline = p?.messageExpiryInterval === undefined ? undefined : performance.now() + p.messageExpiryInterval * 1000;
      if (p?.responseTopic !== undefined && this.#refusesResponseTopic(message.subject, p.responseTopic)) return;
      this.dispatch(message, p?.responseTopic, corr, handler, deadline);
    });
  }

  /** Why no reply may be PUBLISHed to `topic` (mqtt-util.ts), or undefined. */
  #responseTopicProblem(topic: string): string | undefined {
    return responseTopicProblem(topic) ?? ownTopicProblem(topic, this.#subjects);
  }

  /**
   * True for a Response Topic no reply may be PUBLISHed to: the reply would have made the broker
   * close the connection (a wildcard, an empty name), gone to the broker's own `$` topics, or onto
   * one of the agent's own lanes or events (a requester publishing where it may not). The
   * request is not run (its requester could never learn the outcome; one that retries would run
   * it twice): counted, the topic said once per burst.
   */
  #refusesResponseTopic(subject: string, topic: string): boolean {
    const why = this.#responseTopicProblem(topic);
    if (why === undefined) return false;
    this.#refuseResponseTopic({ subject, response_topic: topic.slice(0, LOGGED_TOPIC_CHARS), why });
    return true;
  }

  /**
   * Adds a handler to the filter's broker subscription (made with the first, ended with the last).
   * The last handler stays on until the broker's UNSUBACK: the broker goes on sending on the
   * subscription until it has processed the UNSUBSCRIBE, and a request it sent meanwhile is served,
   * not dropped (one it gets after finds no subscriber: its requester is told at once).
   */
  #add(subject: string, filter: string, onMessage: OnMessage): Subscription {
    this.assertOpen();
    // mqtt.js cannot write a longer one (it throws from its socket write).
    if (Buffer.byteLength(filter) > MAX_TOPIC_BYTES) throw new TransportError(TransportErrorCode.UNSUPPORTED, `topic filter over ${MAX_TOPIC_BYTES} bytes for '${subject.slice(0, LOGGED_TOPIC_CHARS)}'`);
    let sub = this.#subs.get(filter);
    if (sub === undefined) {
      sub = { filter, id: this.#nextSubId++, handlers: new Set() };
      this.#subs.set(filter, sub);
      this.#subIds.set(sub.id, sub);
      const client = this.#client;
      if (client?.connected === true) this.#track(client.subscribeAsync(filter, { ...SUBSCRIBE_QOS_NO_RETAINED, properties: { subscriptionIdentifier: sub.id } }));
    }
    const entry = sub;
    // Each caller passes a closure of its own, so one Set entry per subscription.
    entry.handlers.add(onMessage);
    let left = false;
    return {
      subject,
      unsubscribe: async () => {
        if (left) return;
        left = true;
        if (entry.handlers.size > 1 || !entry.handlers.has(onMessage)) {
          entry.handlers.delete(onMessage);
          return;
        }
        // Not restored after a reconnect from now on; a serve() of the same filter meanwhile makes
        // a subscription of its own (its SUBSCRIBE follows this UNSUBSCRIBE, under another identifier).
        if (this.#subs.get(filter) === entry) this.#subs.delete(filter);
        try {
          const c = this.#client;
          if (c?.connected === true) await c.unsubscribeAsync(filter).catch(() => undefined);
        } finally {
          entry.handlers.delete(onMessage);
          this.#subIds.delete(entry.id);
        }
      },
    };
  }

  #track(p: Promise<unknown>): void {
    const op = p.then(
      () => undefined,
      (err: unknown) => this.emit({ type: 'error', error: err as Error }),
    );
    this.#ops.add(op);
    void op.finally(() => this.#ops.delete(op));
  }

  async flush(): Promise<void> {
    this.assertFlushable();
    if (this.#ops.size === 0) return;
    // A broker may never acknowledge a publish while its connection stays up: past the bound,
    // what mqtt.js still holds is taken back, each counted lost by its publish callback — a stop
    // is not held for ever.
    const bound = setTimeout(() => this.#giveUpUnacknowledged(), this.#flushAckWaitMs);
    try {
      // mqtt.js keeps an unacknowledged publish for the next session, however far off: lost is lost.
      await this.whileConnected(
        (async () => {
          while (this.#ops.size > 0) await Promise.all([...this.#ops]);
        })(),
      );
    } finally {
      clearTimeout(bound);
    }
  }

  /** flush()'s bound: every publish still awaiting its PUBACK is given up, counted dropped (and its requester told) by its callback. */
  #giveUpUnacknowledged(): void {
    const client = this.#client;
    if (client === undefined) return;
    const ids = Object.keys(client.outgoing).map(Number);
    if (ids.length === 0) return;
    this.options.logger?.warn({ unacknowledged: ids.length, waited_ms: this.#flushAckWaitMs }, 'mqtt: publishes the broker never acknowledged: given up, dropped');
    for (const id of ids) this.#takeBack(client, id);
  }

  /** One publish taken back from mqtt.js for good, if it still holds it: its publish callback counts it dropped (and tells its requester). */
  #takeBack(client: MqttClient, id: number): void {
    this.#inFlightBytes.delete(id);
    this.#onceIds.delete(id);
    if (client.outgoing[id] !== undefined) client.removeOutgoingMessage(id);
  }

  async close(): Promise<void> {
    if (this.status === 'closed') return;
    const client = this.#client;
    if (client?.connected === true) await this.flush().catch(() => undefined);
    this.#subs.clear();
    this.markClosed();
    this.#client = undefined;
    await client?.endAsync(client.connected ? false : true).catch(() => undefined);
    // What the current bursts held back is still said.
    this.#losses.flush();
  }
}

function bytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function flatten(props: Record<string, string | string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}
