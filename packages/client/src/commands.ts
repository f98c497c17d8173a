/**
 * The command surface shared by the client and its node-scoped handles: every method is one
 * request on the bus (`<prefix>.api`, or `<prefix>.node.<id>` when a node is named), bounded by
 * a timeout, resolved with the reply's data or rejected with a typed error.
 */
import { randomUUID } from 'node:crypto';
import { decodeReply, originateWaitMs, type ReplyEnvelope, type Subjects } from '@fsbus/contract';
import { TransportError, TransportErrorCode, type Driver } from '@fsbus/transport';
import type { HangupCause } from '@fsbus/esl';
import { whileConnected, type GuardedCore } from './connection-guard.js';
import { brokerRefusal, ClientError, ClientErrorCode, ReplyError, toClientError } from './errors.js';
import type { BusEvent, EventPattern } from './event.js';
import type { EventStream } from './event-stream.js';
import { openEventStream } from './events.js';
import { waitForExecuteComplete } from './execute-complete.js';
import { bridgeLine, broadcastLine, recordLine, sessionNotFound, transferLine, type ApiLine, type BroadcastOptions, type RecordOptions, type TransferOptions } from './call-args.js';
import { waitForEvent, type EventWait, type WaitForOptions } from './wait-for.js';
import { agentStatusData, dataObject, parkStatusData } from './reply-data.js';
import { commandOption, encodeBody, forwardToOption, nodeOption, objectOption, signalOption, stringOption, timeoutOption } from './validate.js';
import {
  DEFAULT_LONG_TIMEOUT_MS,
  type AgentStatus,
  type CallOptions,
  type EventsOptions,
  type ExecuteAppOptions,
  type ExecuteAppResult,
  type OriginateOptions,
  type OriginateResult,
  type ParkAudioMode,
  type ParkStatus,
  type Reply,
} from './types.js';

/** What every handle shares with the client that made it. */
export interface ClientCore extends GuardedCore {
  readonly driver: Driver;
  readonly subjects: Subjects;
  readonly timeoutMs: number;
  /** A new forward_to address of this client's, that no other client can work out. */
  nextInbox(): string;
}


/** `dialplan.*`: park mode served by the agent (SPEC §3.4). */
export interface DialplanCommands {
  enable(options?: CallOptions): Promise<Reply>;
  disable(options?: CallOptions): Promise<Reply>;
  audio(mode: ParkAudioMode, musicClass?: string, options?: CallOptions): Promise<Reply>;
  autoanswer(enabled: boolean, options?: CallOptions): Promise<Reply>;
  /** Parked calls are hung up after `seconds` (0 = never) with `cause` (a FreeSWITCH hangup cause). @default cause 'ALLOTTED_TIMEOUT' (the agent's) */
  timeout(seconds: number, options?: CallOptions): Promise<Reply>;
  timeout(seconds: number, cause: HangupCause | (string & {}), options?: CallOptions): Promise<Reply>;
  /** The park settings and counters; an answer without a full park status is FSBUS_ERR_CLIENT_BAD_REPLY. */
  status(options?: CallOptions): Promise<Reply<ParkStatus>>;
}

/** Opens an event stream: `bus.events(pattern)`, or `bus.events.subscribe(pattern)` (SPEC §5's name). */
export interface EventsOpener {
  (pattern: EventPattern | readonly EventPattern[], options?: EventsOptions): EventStream;
  subscribe(pattern: EventPattern | readonly EventPattern[], options?: EventsOptions): EventStream;
  /**
   * The next event of a channel (`{ uuid, event: 'CHANNEL_ANSWER' }`): subscribed before it
   * returns, so start it, then trigger the event, then await it (`await wait.ready` first on brokers
   * other than NATS). Rejects FSBUS_ERR_CLIENT_TIMEOUT, FSBUS_ERR_CLIENT_ABORTED on `signal`.
   */
  waitFor(options: WaitForOptions): EventWait;
}

export class BusCommands {
  protected readonly core: ClientCore;
  /** The node this handle targets, or undefined for any node. */
  readonly nodeId: string | undefined;
  readonly dialplan: DialplanCommands;
  /** Events as an async iterator; `await stream.ready` before relying on what comes next. */
  readonly events: EventsOpener;

  constructor(core: ClientCore, nodeId?: string) {
    this.core = core;
    this.nodeId = nodeId;
    const dp = (cmd: string, fields: Record<string, unknown>, o?: CallOptions) => this.request(`dialplan.${cmd}`, fields, o);
    this.dialplan = {
      enable: (o) => dp('enable', {}, o),
      disable: (o) => dp('disable', {}, o),
      audio: (mode, musicClass, o) => dp('audio', musicClass === undefined ? { mode } : { mode, music_class: musicClass }, o),
      autoanswer: (enabled, o) => dp('autoanswer', { enabled }, o),
      timeout: async (seconds: number, causeOrOptions?: string | CallOptions, o?: CallOptions) => {
        // (seconds, options) as before, or (seconds, cause, options) as audio(mode, musicClass, options).
        if (causeOrOptions === undefined || (typeof causeOrOptions === 'object' && causeOrOptions !== null)) return dp('timeout', { seconds }, causeOrOptions);
        const cause = stringOption(causeOrOptions, 'dialplan.timeout: cause');
        return dp('timeout', { seconds, cause }, o);
      },
      status: async (o) => {
        const reply = await dp('status', {}, o);
        parkStatusData(reply, 'dialplan.status request');
        return reply as Reply<ParkStatus>;
      },
    };
    const open = (pattern: EventPattern | readonly EventPattern[], options: EventsOptions = {}): EventStream => {
      objectOption(options, 'events: options');
      const node = options.node ?? this.nodeId;
      return openEventStream(this.core, pattern, node === undefined ? options : { ...options, node });
    };
    const waitFor = (o: WaitForOptions): EventWait => waitForEvent(this.core, open, this.nodeId, o);
    this.events = Object.assign(open, { subscribe: open, waitFor });
  }

  #subject(options: CallOptions): string {
    // Checked here, before any send: a node id no agent can have may make a subject the broker
    // drops the connection for (this handle's own id was checked by node()).
    const node = nodeOption(options.node, 'node') ?? this.nodeId;
    return node === undefined ? this.core.subjects.api : this.core.subjects.node(node);
  }

  #body(command: string, fields: Readonly<Record<string, unknown>>, options: CallOptions, timeoutMs?: number): Uint8Array {
    commandOption(command);
    const body: Record<string, unknown> = { command, ...fields };
    if (timeoutMs !== undefined) body['timeout_ms'] = timeoutMs;
    if (options.correlationId !== undefined) body['correlation_id'] = options.correlationId;
    return encodeBody(body, `${command} request`);
  }

  /** Any command with any fields; resolves with the whole envelope, rejects on `success:false`. */
  async request<T = unknown>(command: string, fields: Readonly<Record<string, unknown>> = {}, options: CallOptions = {}, defaultTimeoutMs?: number): Promise<Reply<T>> {
    const core = this.core;
    const what = `${command} request`;
    if (core.isClosed()) throw new ClientError(ClientErrorCode.CLOSED, `${what}: the client is closed`);
    objectOption(options, `${what}: options`);
    const timeoutMs = timeoutOption(options.timeoutMs, 'timeoutMs') ?? defaultTimeoutMs ?? core.timeoutMs;
    signalOption(options.signal, 'signal');
    const subject = this.#subject(options);
    const data = this.#body(command, fields, options, timeoutMs);
    let reply: ReplyEnvelope;
    try {
      const msg = await whileConnected(core, what, options.signal, (signal) => core.driver.request(subject, data, { timeoutMs, signal }));
      reply = decodeReplySafe(msg.data, what);
    } catch (err) {
      // Larger than the broker takes (its max payload), or a subject it cannot carry: sending it
      // again can never work, so it is the caller's argument, not a lost connection.
      if (err instanceof TransportError && err.code === TransportErrorCode.UNSUPPORTED) {
        throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `${what}: ${err.message}`, { cause: err });
      }
      throw brokerRefusal(err, what) ?? toClientError(err, what, core.isClosed());
    }
    if (!reply.success) throw new ReplyError(reply);
    return reply as Reply<T>;
  }

  /** Fire-and-forget (`async: true`): published, never answered. */
  protected send(command: string, fields: Readonly<Record<string, unknown>>, options: CallOptions): void {
    if (this.core.isClosed()) throw new ClientError(ClientErrorCode.CLOSED, `${command}: the client is closed`);
    const driver = this.core.driver;
    const body = this.#body(command, { ...fields, async: true }, options);
    // Larger than the broker takes: sending it again cannot help (the driver would drop it too).
    const max = driver.maxPayloadBytes;
    if (max !== undefined && body.byteLength > max) {
      throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, `${command}: the message is ${body.byteLength} bytes, over the broker's limit of ${max}`);
    }
    if (driver.publish(this.#subject(options), body) !== 'dropped') return;
    throw new ClientError(ClientErrorCode.DISCONNECTED, `${command}: the broker is away and the send buffer is full, or the connection just failed`);
  }

  /** FreeSWITCH `api <command> <args>`; resolves with its output. */
  async api(command: string, args?: string, options: CallOptions = {}): Promise<string> {
    const reply = await this.request<unknown>(command, args === undefined ? {} : { args }, options);
    return dataText(reply.data);
  }

  /** FreeSWITCH `bgapi`; resolves with the BACKGROUND_JOB result. @default timeout 30000 ms */
  async bgapi(command: string, args?: string, options: CallOptions = {}): Promise<string> {
    const reply = await this.request<unknown>(command, { ...(args === undefined ? {} : { args }), bg: true }, options, DEFAULT_LONG_TIMEOUT_MS);
    return dataText(reply.data);
  }

  originate(options: OriginateOptions & { async: true }, call?: CallOptions): Promise<{ uuid: string }>;
  originate(options: OriginateOptions & { async?: false }, call?: CallOptions): Promise<OriginateResult>;
  // `async` known only at run time (a boolean, or options typed OriginateOptions): either result
  // (`'jobUuid' in r` tells them apart).
  originate(options: OriginateOptions, call?: CallOptions): Promise<OriginateResult | { uuid: string }>;
  /**
   * Places a call; the uuid is chosen by the client, so it is known even for `async`.
   * @default timeout: as long as FreeSWITCH may ring — `ringTimeoutS` (FreeSWITCH's 60 s when unset), or a longer
   * `leg_timeout`, on every attempt (`originate_retries`) and failover group, with the sleeps between — + 5 s, at least 30000 ms
   */
  async originate(o: OriginateOptions, call: CallOptions = {}): Promise<OriginateResult | { uuid: string }> {
    objectOption(o, 'originate: options');
    objectOption(call, 'originate: call options');
    signalOption(call.signal, 'signal');
    const uuid = o.uuid ?? randomUUID();
    const fields: Record<string, unknown> = { endpoint: o.endpoint, extension: o.extension, uuid };
    if (o.dialplan !== undefined) fields['dialplan'] = o.dialplan;
    if (o.context !== undefined) fields['context'] = o.context;
    if (o.callerIdName !== undefined) fields['caller_id_name'] = o.callerIdName;
    if (o.callerIdNumber !== undefined) fields['caller_id_number'] = o.callerIdNumber;
    if (o.ringTimeoutS !== undefined) fields['timeout'] = o.ringTimeoutS;
    if (o.variables !== undefined) fields['variables'] = o.variables;
    const forwardTo = forwardToOption(o.forwardTo, 'originate: forwardTo', this.core.subjects);
    if (forwardTo !== undefined) fields['forward_to'] = forwardTo;
    if (o.async === true) {
      this.send('originate', fields, call);
      return { uuid };
    }
    // The agent is sent this same wait as timeout_ms, not a little less: a margin would only make
    // which error comes (the agent's BUS_TIMEOUT or the client's TIMEOUT) depend on the broker's
    // latency and the agent's load. Both carry the call's uuid.
    const wait = originateWaitMs(fields, DEFAULT_LONG_TIMEOUT_MS);
    try {
      const reply = await this.request('originate', fields, call, wait);
      const d = dataObject(reply, 'originate request', '{uuid, job_uuid, result}', ['uuid', 'job_uuid', 'result', 'requested_uuid']);
      const made = d.uuid ?? uuid;
      // The uuid asked for was in use: FreeSWITCH made the call under its own, and the asked one names ANOTHER call.
      const requested = d.requested_uuid !== undefined && d.requested_uuid !== made ? { requestedUuid: d.requested_uuid } : {};
      return { uuid: made, ...requested, jobUuid: d.job_uuid ?? '', result: d.result ?? '', nodeId: reply.node_id };
    } catch (err) {
      throw withPlacedCall(err, uuid);
    }
  }

  /**
   * `uuid_kill <uuid> <cause>`: `cause` a FreeSWITCH cause name (`HangupCause`, suggested by the
   * editor; any case) or its number, checked by
   * the agent. A channel that is gone: ReplyError FSBUS_ERR_BUS_SESSION_NOT_FOUND, `data` `{uuid}`.
   * @default cause NORMAL_CLEARING
   */
  async hangup(uuid: string, cause?: HangupCause | number | (string & {}), options: CallOptions = {}): Promise<void> {
    await this.request('hangup', cause === undefined ? { uuid } : { uuid, cause }, options);
  }

  /** `uuid_bridge <uuid> <otherUuid>`: bridges two live channels (both leave what they were running, park included). */
  async bridge(uuid: string, otherUuid: string, options: CallOptions = {}): Promise<void> {
    await this.#callApi(bridgeLine(uuid, otherUuid), options);
  }

  /** `uuid_transfer <uuid> [-bleg|-both] <destination> [<dialplan> [<context>]]`: the dialplan runs the channel to `destination`. */
  async transfer(uuid: string, destination: string, transfer: TransferOptions = {}, options: CallOptions = {}): Promise<void> {
    await this.#callApi(transferLine(uuid, destination, transfer), options);
  }

  /** `uuid_record <uuid> start|stop <path> [<limit>]`: a path on the FreeSWITCH host (RECORD_START / RECORD_STOP). */
  async record(uuid: string, path: string, record: RecordOptions = {}, options: CallOptions = {}): Promise<void> {
    await this.#callApi(recordLine(uuid, path, record), options);
  }

  /** `uuid_broadcast <uuid> <path> [<leg>]`: plays `path` (or runs `app::args`) on the channel, queued behind what it runs. */
  async broadcast(uuid: string, path: string, broadcast: BroadcastOptions = {}, options: CallOptions = {}): Promise<void> {
    await this.#callApi(broadcastLine(uuid, path, broadcast), options);
  }

  /** One checked `uuid_*` API line; FreeSWITCH's "no such channel" as hangup's SESSION_NOT_FOUND. */
  async #callApi(line: ApiLine, options: CallOptions): Promise<void> {
    objectOption(options, `${line.command}: call options`);
    try {
      await this.request(line.command, { args: line.args }, options);
    } catch (err) {
      throw sessionNotFound(err, line);
    }
  }

  executeApp(options: ExecuteAppOptions & { waitForComplete: true }, call?: CallOptions): Promise<ExecuteAppResult<Promise<BusEvent>>>;
  executeApp(options: ExecuteAppOptions & { waitForComplete?: false }, call?: CallOptions): Promise<ExecuteAppResult>;
  // `waitForComplete` known only at run time (a boolean, or options typed ExecuteAppOptions): `complete` is a promise or undefined.
  executeApp(options: ExecuteAppOptions, call?: CallOptions): Promise<ExecuteAppResult<Promise<BusEvent> | undefined>>;
  /** Runs a dialplan application on a channel (sendmsg execute); optionally waits for its CHANNEL_EXECUTE_COMPLETE. */
  async executeApp(o: ExecuteAppOptions, call: CallOptions = {}): Promise<ExecuteAppResult<Promise<BusEvent> | undefined>> {
    objectOption(o, 'executeApp: options');
    objectOption(call, 'executeApp: call options');
    // Checked before the completion's forward_to address is subscribed.
    signalOption(call.signal, 'signal');
    const fields: Record<string, unknown> = { uuid: o.uuid, app: o.app };
    if (o.args !== undefined) fields['args'] = o.args;
    if (o.vars !== undefined) fields['vars'] = o.vars;
    if (o.waitForComplete !== true) {
      const reply = await this.request('execute_app', fields, call);
      const d = dataObject(reply, 'execute_app request', '{application_uuid}', ['application_uuid']);
      return { applicationUuid: d.application_uuid ?? '', nodeId: reply.node_id, complete: undefined };
    }
    // The forward_to address is subscribed before the request, so the completion cannot be missed.
    const waiter = await waitForExecuteComplete(this.core, { uuid: o.uuid, app: o.app }, timeoutOption(o.completeTimeoutMs, 'completeTimeoutMs'), call.signal);
    try {
      const reply = await this.request('execute_app', { ...fields, forward_to: waiter.subject }, call);
      const applicationUuid = dataObject(reply, 'execute_app request', '{application_uuid}', ['application_uuid']).application_uuid ?? '';
      waiter.expect(applicationUuid, reply.node_id);
      return { applicationUuid, nodeId: reply.node_id, complete: waiter.complete };
    } catch (err) {
      waiter.cancel();
      throw err;
    }
  }

  /** `agent.status` of one agent (this handle's node, or whichever the api lane picks). */
  async status(options: CallOptions = {}): Promise<AgentStatus> {
    return agentStatusData(await this.request('agent.status', {}, options), 'agent.status request');
  }

}

/** Ends of an originate request that leave its outcome unknown: the agent may have placed the call. */
const OUTCOME_UNKNOWN: ReadonlySet<ClientErrorCode> = new Set([ClientErrorCode.TIMEOUT, ClientErrorCode.DISCONNECTED, ClientErrorCode.CLOSED, ClientErrorCode.ABORTED, ClientErrorCode.BAD_REPLY]);

/**
 * `err` with the uuid the client chose for the call in `data` (as the agent's own BUS_TIMEOUT has
 * it): without the reply, that uuid is the caller's only handle on a call that may still connect.
 */
function withPlacedCall(err: unknown, uuid: string): unknown {
  if (!(err instanceof ClientError) || !OUTCOME_UNKNOWN.has(err.code)) return err;
  return new ClientError(err.code, `${err.message}; the call may still connect: watch its uuid ${uuid}`, { ...(err.cause === undefined ? {} : { cause: err.cause }), data: { uuid } });
}

function decodeReplySafe(data: Uint8Array, what: string): ReplyEnvelope {
  try {
    return decodeReply(data);
  } catch (err) {
    throw new ClientError(ClientErrorCode.BAD_REPLY, `${what}: the reply is not an fsbus envelope`, { cause: err });
  }
}

function dataText(data: unknown): string {
  if (data === undefined || data === null) return '';
  return typeof data === 'string' ? data : JSON.stringify(data);
}
