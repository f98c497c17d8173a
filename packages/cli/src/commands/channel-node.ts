/**
 * Which node has a channel, for the commands that take a uuid without `--node`. Asked with
 * `uuid_exists`, which answers `false` where the channel is not: a node without it counts an ok
 * request, where `uuid_kill` there would count a failed one (agent.status, the request metrics).
 */
import { ClientError, ClientErrorCode, ReplyError, type CallOptions, type FsbusClient } from '@fsbus/client';
import type { ReplyEnvelope } from '@fsbus/contract';
import { GATHER_DEFAULT_MS } from '../bus/expect.js';

/** What the nodes that answered said; a node that did not answer in the window is in none of these. */
export interface ChannelLookup {
  /** The nodes that have it: one, unless a uuid was given twice (`originate --uuid`). */
  readonly found: readonly string[];
  /** The nodes that said they have no such channel. */
  readonly absent: readonly string[];
  /** Those that could not tell (FreeSWITCH away, uuid_exists denied…): their error replies. */
  readonly failed: readonly ReplyEnvelope[];
}

const EXISTS = 'uuid_exists';

const says = (reply: ReplyEnvelope, answer: 'true' | 'false'): boolean => reply.success && typeof reply.data === 'string' && reply.data.trim() === answer;

/**
 * Asks any node first (a single node, or the call on the node the api lane picks, answers in
 * milliseconds); else every node over the broadcast lane. Each step waits `call.timeoutMs`
 * (default GATHER_DEFAULT_MS) at most, so twice that in all. A node that did not answer in that
 * window is not in the result.
 */
export async function findChannelNodes(bus: FsbusClient, uuid: string, call: CallOptions): Promise<ChannelLookup> {
  const absent = new Set<string>();
  const windowMs = call.timeoutMs ?? GATHER_DEFAULT_MS;
  try {
    // The window, not the client's 5000 ms: the lane may hand it to a frozen agent (SIGSTOP), and
    // that must cost no more than the broadcast would.
    const reply = await bus.request(EXISTS, { args: uuid }, { timeoutMs: windowMs });
    if (says(reply, 'true')) return { found: [reply.node_id], absent: [], failed: [] };
    if (says(reply, 'false')) absent.add(reply.node_id);
  } catch (err) {
    // No node on the api lane (all cordoned, say), one that could not tell, or one that did not
    // answer in the window (frozen, overloaded): the broadcast reaches every node, cordoned ones
    // too, and each says for itself; a silent one is simply not heard again.
    const fallsThrough = err instanceof ReplyError || (err instanceof ClientError && (err.code === ClientErrorCode.NO_RESPONDERS || err.code === ClientErrorCode.TIMEOUT));
    if (!fallsThrough) throw err;
  }
  const replies = await bus.gather(EXISTS, { fields: { args: uuid }, timeoutMs: windowMs });
  const found = replies.filter((r) => says(r, 'true')).map((r) => r.node_id).sort();
  if (found.length > 0) return { found, absent: [], failed: [] };
  const failed: ReplyEnvelope[] = [];
  for (const r of replies) {
    if (says(r, 'false')) absent.add(r.node_id);
    else failed.push(r.success ? { ...r, success: false, message: `${EXISTS} answered ${JSON.stringify(r.data)}, neither true nor false` } : r);
  }
  // The api lane's "false" may come from a node the gather did not hear: it answered, it was asked.
  for (const r of failed) absent.delete(r.node_id);
  return { found, absent: [...absent].sort(), failed: failed.sort((a, b) => a.node_id.localeCompare(b.node_id)) };
}
