/**
 * Originates sent from the pages. One rings for up to a minute, so it runs in the background:
 * the control answers at once with the call's uuid (chosen here, so known while it rings), and
 * every page follows it in the stream until its reply says answered or failed. A cap bounds how
 * many ring at once (each holds a reply subscription here and a command slot on its agent).
 */
import { randomUUID } from 'node:crypto';
import { MAX_NODE_ID_LENGTH } from '@fsbus/contract';
import type { DashboardBus } from './bus-port.js';
import { runCommand, type ParsedCommand } from './commands.js';
import { WebErrorCode } from './errors.js';
import type { CommandResult, OriginateView } from './protocol.js';
import { cutText, MAX_FIELD_CHARS } from './text-caps.js';

/** @default 20 originates ringing at once from one dashboard */
export const DEFAULT_MAX_PENDING_ORIGINATES = 20;
/** Ended originates kept with their outcome, for a page opened (or reconnected) after the end. */
export const ENDED_ORIGINATES_KEPT = 20;
/** An error message may name the uuid to watch (a client timeout): longer than a row's field. */
const MAX_MESSAGE_CHARS = 1024;
/** What the page shows of an originate reply's `data`: the agent's own fields. */
const DATA_FIELDS = ['uuid', 'requested_uuid', 'job_uuid', 'result', 'cause'] as const;
/** A FreeSWITCH hangup cause name, as the agent's `data.cause` carries it. */
const CAUSE = /^[A-Z][A-Z0-9_]*$/;

export interface OriginateDeps {
  bus(): DashboardBus;
  /** The controls' reply wait (originate waits at least 65 s: runCommand). */
  timeoutMs: number;
  /** A view to send the pages (sent, or ended). */
  changed(view: OriginateView): void;
  /** An ended originate no longer kept. */
  removed(uuid: string): void;
  /** An originate ended: the node cards follow at once (its agent's counters). */
  ended(): void;
}

export class Originates {
  readonly max: number;
  readonly #deps: OriginateDeps;
  readonly #ringing = new Map<string, OriginateView>();
  /** Oldest first. */
  readonly #ended: OriginateView[] = [];
  #closed = false;

  constructor(max: number, deps: OriginateDeps) {
    this.max = Math.max(1, max);
    this.#deps = deps;
  }

  /** Ringing ones first, then the kept ended ones. */
  list(): OriginateView[] {
    return [...this.#ringing.values(), ...this.#ended];
  }

  /** Sends a checked originate; answers at once with its view, or why it was not sent. */
  start(cmd: ParsedCommand): CommandResult {
    if (this.#ringing.size >= this.max) {
      return {
        success: false,
        code: WebErrorCode.BUSY,
        message: `${this.max} originates from this dashboard are already ringing (its maxPendingOriginates): nothing sent — wait for one to answer or fail, or cancel one`,
      };
    }
    const uuid = randomUUID();
    const view = sentView(cmd, uuid);
    this.#ringing.set(uuid, view);
    this.#deps.changed(view);
    // runCommand answers every failure (bus down, timeout) as a result: it never rejects.
    void runCommand(this.#deps.bus(), { nodeId: cmd.nodeId, body: { ...cmd.body, uuid } }, this.#deps.timeoutMs).then((r) => this.#end(uuid, r));
    return { success: true, message: 'originate sent: ringing until it answers or fails', data: view };
  }

  #end(uuid: string, r: CommandResult): void {
    const sent = this.#ringing.get(uuid);
    if (sent === undefined || this.#closed) return;
    this.#ringing.delete(uuid);
    const cause = r.success ? undefined : causeOf(r.data);
    const view: OriginateView = { ...sent, state: r.success ? 'answered' : 'failed', ended: Date.now(), result: boundedResult(r), ...(cause === undefined ? {} : { cause }) };
    this.#ended.push(view);
    this.#deps.changed(view);
    while (this.#ended.length > ENDED_ORIGINATES_KEPT) this.#deps.removed(this.#ended.shift()!.uuid);
    this.#deps.ended();
  }

  /** Replies after this are dropped (the bus link closes under them). */
  close(): void {
    this.#closed = true;
  }
}

function sentView(cmd: ParsedCommand, uuid: string): OriginateView {
  const b = cmd.body;
  const view: OriginateView = { uuid, endpoint: text(b['endpoint']), extension: text(b['extension']), state: 'ringing', started: Date.now() };
  if (cmd.nodeId !== undefined) view.node_id = cutText(cmd.nodeId, MAX_NODE_ID_LENGTH);
  if (b['context'] !== undefined) view.context = text(b['context']);
  if (b['caller_id_number'] !== undefined) view.caller_id_number = text(b['caller_id_number']);
  return view;
}

/** A field as the page sent it (the agent checks it), cut as a row's text is. */
function text(v: unknown): string {
  return cutText(typeof v === 'string' ? v : String(JSON.stringify(v)), MAX_FIELD_CHARS);
}

function causeOf(data: unknown): string | undefined {
  const cause = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['cause'] : undefined;
  return typeof cause === 'string' && CAUSE.test(cause) ? cutText(cause, MAX_FIELD_CHARS) : undefined;
}

/** Kept for every page until newer ones end: a node's reply may be 1 MiB of anything. */
function boundedResult(r: CommandResult): CommandResult {
  const out: CommandResult = { success: r.success, message: cutText(r.message, MAX_MESSAGE_CHARS) };
  if (r.code !== undefined) out.code = cutText(r.code, MAX_FIELD_CHARS);
  if (r.node_id !== undefined) out.node_id = cutText(r.node_id, MAX_NODE_ID_LENGTH);
  if (typeof r.data === 'string') out.data = cutText(r.data, MAX_FIELD_CHARS);
  else if (typeof r.data === 'object' && r.data !== null) {
    const data: Record<string, string> = {};
    for (const k of DATA_FIELDS) {
      const v = (r.data as Record<string, unknown>)[k];
      if (typeof v === 'string') data[k] = cutText(v, MAX_FIELD_CHARS);
    }
    out.data = data;
  }
  return out;
}
