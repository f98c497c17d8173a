/**
 * Requests for another node, passed on by the agent that took them: a request on the shared lane
 * relayed through the named node's direct lane (its reply passed back as it came), and an
 * async-lane command re-published there with its command in the body.
 */
import { BusErrorCode, encodeUtf8 } from '@fsbus/contract';
import { TransportError, TransportErrorCode, type Driver, type ServeRequest } from '@fsbus/transport';
import type { CommandResult } from './commands/registry.js';

/**
 * How much longer than the command's timeout a relayed hand-off waits for the node's reply: the
 * node answers a timeout of its own at that bound, and its reply still has to cross the broker.
 */
export const RELAY_GRACE_MS = 1000;

/**
 * A hand-off the named node did not answer: what its requester is told, counted and logged —
 * unless `requesterGone`: the wait ran to the requester's own deadline, so nobody waits for a
 * reply any more (one sent then would only race the requester's own timeout).
 */
export interface RelayFailure {
  readonly result: CommandResult;
  readonly requesterGone: boolean;
}

/**
 * Sends a hand-off to `subject` as this agent's own request (same body, same headers) and returns
 * the named node's reply bytes as they came — or, when no reply came, what the requester is told:
 * a node no agent serves is told at once (the broker's "no responders" reaches only whoever sent
 * the request, so a hand-off sent on with the requester's reply address would leave the requester
 * waiting out its timeout). Bounded by the command's timeout, and by the requester's own deadline
 * when its broker carries one, so the node never runs it for nobody: undefined when that has passed.
 */
export async function relayHandoff(driver: Driver, req: ServeRequest, subject: string, target: string, timeoutMs: number): Promise<Uint8Array | RelayFailure | undefined> {
  const untilDeadline = req.deadline === undefined ? Infinity : req.deadline - performance.now();
  const waitMs = Math.min(timeoutMs + RELAY_GRACE_MS, untilDeadline);
  if (waitMs <= 0) return undefined;
  const failed = (result: CommandResult, requesterGone = false): RelayFailure => ({ result, requesterGone });
  try {
    const reply = await driver.request(subject, req.data, req.headers === undefined ? { timeoutMs: waitMs } : { timeoutMs: waitMs, headers: req.headers });
    return reply.data;
  } catch (err) {
    const code = err instanceof TransportError ? err.code : undefined;
    if (code === TransportErrorCode.NO_RESPONDERS) return failed(nodeUnavailable(target, subject));
    if (code === TransportErrorCode.TIMEOUT) return failed({ ok: false, code: BusErrorCode.TIMEOUT, message: `Node '${target}' did not answer within ${Math.round(waitMs)} ms` }, waitMs === untilDeadline);
    return failed({ ok: false, code: BusErrorCode.NODE_UNAVAILABLE, message: `Node '${target}' could not be reached: ${err instanceof Error ? err.message : String(err)}` });
  }
}

/** What the requester of a hand-off is told when the broker says nobody serves that node's lane. */
export function nodeUnavailable(target: string, subject: string): CommandResult {
  return { ok: false, code: BusErrorCode.NODE_UNAVAILABLE, message: `No agent serves node '${target}' (${subject})` };
}

const CLOSING_BRACE = 0x7d;

/**
 * An async-lane request passed to its node's direct lane, which needs the command in the body:
 * the body's bytes with `"command":…,"async":true` added as its last keys (the last of duplicate
 * keys wins in JSON.parse). The body is a JSON object that already passed the checks; it is not
 * decoded or re-serialised, so its nesting and bytes stay as sent.
 */
export function asyncHandoff(body: Uint8Array, command: string): Uint8Array {
  const tail = encodeUtf8(`"command":${JSON.stringify(command)},"async":true}`);
  if (body.byteLength === 0) return Buffer.concat([encodeUtf8('{'), tail]);
  let end = body.byteLength - 1;
  while (end > 0 && body[end] !== CLOSING_BRACE) end--; // only JSON whitespace follows the object
  let last = end - 1;
  while (last > 0 && isJsonSpace(body[last]!)) last--;
  const empty = body[last] === 0x7b; // `{`: no key yet, no comma
  return Buffer.concat([body.subarray(0, end), encodeUtf8(empty ? '' : ','), tail]);
}

function isJsonSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}
