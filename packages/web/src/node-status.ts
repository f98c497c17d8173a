/**
 * What a node card keeps of an agent.status answer: the fields the page shows
 * (app/views/nodes.ts) and the server reads (esl for eslCameBack, park), texts cut. An answer is
 * up to the broker's message size (≈1 MiB on NATS) of any shape — anyone who can answer on the
 * broadcast lane sends one — and every card goes into every page's snapshot and updates, for up
 * to 1,000 nodes: kept whole, one such node made a 3 MB card.
 */
import { MAX_NODE_ID_LENGTH } from '@fsbus/contract';
import { parkFrom } from './park.js';
import type { DegradedView, ParkView } from './protocol.js';
import { cutText, MAX_FIELD_CHARS } from './text-caps.js';

/** Characters kept of a card's text (a link state, the driver, park audio and music class); longer ends with "…". */
export const MAX_STATUS_TEXT_CHARS = 128;

/** The counters a card shows. */
const COUNTERS = ['requests_ok', 'requests_failed', 'events_published', 'events_dropped', 'reconnects'] as const;

/** A readable answer: the node's id and what its card keeps. */
export interface NodeStatusRead {
  id: string;
  /** At most: uptime, driver, ready and not_ready_reason, broker.status, esl.status and esl.reconnects, the five counters, shared_lanes.state and .cordoned. */
  status: Record<string, unknown>;
  /** Park mode as the answer tells it (parkOf decides with what was known), texts cut. */
  park: ParkView | undefined;
  /** `counters.events_received`: FreeSWITCH events the agent got (the stall watch's, not the card's). */
  eventsReceived?: number;
  /** `esl.events_subscription` is `none`: the agent asks FreeSWITCH for no event, so none coming is no stall. */
  noEvents?: boolean;
  /**
   * `instance_id`, the answering agent process (cut): a goodbye (fsbus::agent_stop) names it, and
   * tells which of two agents under one node id left. Absent from older agents.
   */
  instanceId?: string;
}

/**
 * Reads an agent.status `data`, or says why it cannot be read: not an object, or no node id of
 * 1..128 characters (`data.node_id`, else the envelope's). A field of another type is left out,
 * as the card shows "–" for it.
 */
export function readNodeStatus(data: unknown, envelopeNodeId: string): NodeStatusRead | Error {
  if (!isRecord(data)) return new Error(`its data is ${Array.isArray(data) ? 'a list' : data === null ? 'null' : typeof data}, not a status object`);
  const id = typeof data['node_id'] === 'string' ? data['node_id'] : envelopeNodeId;
  if (id === '' || id.length > MAX_NODE_ID_LENGTH) return new Error(`its node id has ${id.length} characters (1 to ${MAX_NODE_ID_LENGTH})`);
  const status: Record<string, unknown> = {};
  copyNumber(data, 'uptime', status);
  copyText(data, 'driver', status);
  // Readiness as /readyz says it; absent from older agents, so the card says nothing rather than "not ready".
  if (typeof data['ready'] === 'boolean') {
    status['ready'] = data['ready'];
    const reason = data['not_ready_reason'];
    // The reason is a message (e.g. a broker's refusal), cut as the node's other messages are.
    if (!data['ready'] && typeof reason === 'string') status['not_ready_reason'] = cutText(reason, MAX_FIELD_CHARS);
  }
  const broker = part(data['broker'], (from, to) => copyText(from, 'status', to));
  if (broker !== undefined) status['broker'] = broker;
  const esl = part(data['esl'], (from, to) => {
    copyText(from, 'status', to);
    copyNumber(from, 'reconnects', to);
  });
  if (esl !== undefined) status['esl'] = esl;
  const counters = part(data['counters'], (from, to) => {
    for (const key of COUNTERS) copyNumber(from, key, to);
  });
  if (counters !== undefined) status['counters'] = counters;
  // Off the shared lanes (cordoned, or FreeSWITCH down): the node answers but takes no `<prefix>.api` request.
  const lanes = part(data['shared_lanes'], (from, to) => {
    copyText(from, 'state', to);
    if (typeof from['cordoned'] === 'boolean') to['cordoned'] = from['cordoned'];
  });
  if (lanes !== undefined) status['shared_lanes'] = lanes;
  const read: NodeStatusRead = { id, status, park: isRecord(data['park']) ? boundedPark(parkFrom(data['park'])) : undefined };
  const received = isRecord(data['counters']) ? data['counters']['events_received'] : undefined;
  if (typeof received === 'number' && Number.isFinite(received)) read.eventsReceived = received;
  if (isRecord(data['esl']) && data['esl']['events_subscription'] === 'none') read.noEvents = true;
  const instance = data['instance_id'];
  if (typeof instance === 'string' && instance !== '') read.instanceId = cutText(instance, MAX_STATUS_TEXT_CHARS);
  return read;
}

/**
 * An error envelope answering agent.status (busy, shutting down): the node is alive, only its
 * status is not told. Unreadable when it names no node of 1..128 characters.
 */
export function readRefusal(reply: { node_id: string; code?: string | undefined; message: string }): { id: string; degraded: DegradedView } | Error {
  const id = reply.node_id;
  if (id === '' || id.length > MAX_NODE_ID_LENGTH) return new Error(`its node id has ${id.length} characters (1 to ${MAX_NODE_ID_LENGTH})`);
  return { id, degraded: { code: cutText(reply.code ?? 'unknown', MAX_STATUS_TEXT_CHARS), message: cutText(reply.message, MAX_FIELD_CHARS) } };
}

/** A park view (agent.status or dialplan.status) with its texts cut. */
export function boundedPark(park: ParkView): ParkView {
  const out: ParkView = { ...park };
  if (out.audio !== undefined) out.audio = cutText(out.audio, MAX_STATUS_TEXT_CHARS);
  if (out.music_class !== undefined) out.music_class = cutText(out.music_class, MAX_STATUS_TEXT_CHARS);
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The fields `fill` copies of a nested object; none when it is no object or nothing was kept. */
function part(v: unknown, fill: (from: Record<string, unknown>, to: Record<string, unknown>) => void): Record<string, unknown> | undefined {
  if (!isRecord(v)) return undefined;
  const to: Record<string, unknown> = {};
  fill(v, to);
  return Object.keys(to).length === 0 ? undefined : to;
}

function copyNumber(from: Record<string, unknown>, key: string, to: Record<string, unknown>): void {
  const v = from[key];
  if (typeof v === 'number' && Number.isFinite(v)) to[key] = v;
}

function copyText(from: Record<string, unknown>, key: string, to: Record<string, unknown>): void {
  const v = from[key];
  if (typeof v === 'string') to[key] = cutText(v, MAX_STATUS_TEXT_CHARS);
}
