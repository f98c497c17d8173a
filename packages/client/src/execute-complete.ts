/**
 * Waiting for an execute_app's CHANNEL_EXECUTE_COMPLETE: the agent publishes it to the request's
 * `forward_to` subject (SPEC §3.4), which this client subscribed to before sending.
 */
import { isReplyEnvelope, slugNodeId, type ReplyEnvelope } from '@fsbus/contract';
import type { DriverStatus, Subscription } from '@fsbus/transport';
import { watchAgentRestarts, type RestartWatcher } from './agent-restarts.js';
import type { ClientCore } from './commands.js';
import { ClientError, ClientErrorCode, ReplyError, toClientError } from './errors.js';
import { decodeEvent, type BusEvent } from './event.js';
import { eventProblem } from './malformed.js';

/** @default 60000 ms */
export const DEFAULT_COMPLETE_TIMEOUT_MS = 60_000;

export interface CompleteWaiter {
  readonly subject: string;
  readonly complete: Promise<BusEvent>;
  /** The application uuid and node from the reply: only its completion counts. */
  expect(applicationUuid: string, nodeId: string): void;
  cancel(): void;
}

/** The application waited for, named in a timeout's message and data. */
export interface ExecuteTarget {
  readonly uuid: string;
  readonly app: string;
}

export async function waitForExecuteComplete(core: ClientCore, target: ExecuteTarget, timeoutMs = DEFAULT_COMPLETE_TIMEOUT_MS, signal?: AbortSignal): Promise<CompleteWaiter> {
  if (core.isClosed()) throw new ClientError(ClientErrorCode.CLOSED, 'execute_app: the client is closed');
  const subject = core.nextInbox();
  let expected: string | undefined;
  let node: string | undefined;
  const early: BusEvent[] = [];
  const earlyEnds: ReplyEnvelope[] = [];
  let sub: Subscription | undefined;
  let settle!: (err: Error | undefined, event?: BusEvent) => void;
  // The connection lost during the wait: the completion may have been published while this client
  // was away (the agent holds it for the broker, not for us), and nothing sends it again.
  let lost: DriverStatus | undefined;
  const offDriver = core.driver.on((e) => {
    if (e.type === 'status' && (e.status === 'reconnecting' || e.status === 'closed')) lost ??= e.status;
  });
  const timedOut = (): ClientError => {
    const status = core.driver.status;
    if (lost === undefined && status !== 'connected') lost = status;
    const where = node === undefined ? '' : ` on node '${node}'`;
    const message =
      lost === undefined
        ? `execute_app: no CHANNEL_EXECUTE_COMPLETE within ${timeoutMs} ms`
        : `execute_app: no CHANNEL_EXECUTE_COMPLETE within ${timeoutMs} ms, and the broker connection was lost during the wait (${lost}): the application may have completed while this client was away, and its completion is not sent again; check the channel (uuid_exists ${target.uuid}${where}, or its events)`;
    const data = { uuid: target.uuid, ...(expected === undefined ? {} : { application_uuid: expected }), app: target.app, connection_lost: lost !== undefined };
    return new ClientError(ClientErrorCode.TIMEOUT, message, { data });
  };
  // The agent that ran the application restarted: it held the completion (or its word that none
  // comes) in memory, and the new one knows nothing of this wait. Counted from the dispatch reply
  // on (`node` set by expect): an agent_start before it is the agent that then answered.
  const restarts: RestartWatcher = { node: undefined, restarted: () => settle(restartedError()) };
  const restartedError = (): ClientError => {
    const message = `execute_app: the agent on node '${node}' restarted during the wait (it announced fsbus::agent_start): the ${target.app} application's completion (CHANNEL_EXECUTE_COMPLETE) will not come; check the channel (uuid_exists ${target.uuid} on node '${node}')`;
    return new ClientError(ClientErrorCode.DISCONNECTED, message, { data: { uuid: target.uuid, application_uuid: expected, app: target.app, node } });
  };
  const unwatch = watchAgentRestarts(core, restarts);
  const complete = new Promise<BusEvent>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => settle(timedOut()), timeoutMs);
    // Not what keeps the process alive: the client's connection does that until close(), which
    // settles this wait with CLOSED (the timer alone held an exiting process for up to a minute).
    timer.unref();
    const offClose = core.onClose(() => settle(new ClientError(ClientErrorCode.CLOSED, 'execute_app: the client was closed before the application completed')));
    const onAbort = (): void => settle(new ClientError(ClientErrorCode.ABORTED, 'execute_app: waiting for the completion was aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    settle = (err, event) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      offClose();
      offDriver();
      unwatch();
      signal?.removeEventListener('abort', onAbort);
      void sub?.unsubscribe().catch(() => undefined);
      if (err !== undefined) reject(err);
      else resolve(event!);
    };
  });
  // Marked handled: a caller that never awaits `complete` must not crash the process.
  complete.catch(() => undefined);
  try {
    sub = core.driver.subscribe(subject, (m) => {
      const event = decodeEvent(m.subject, m.data);
      if (event === undefined) {
        const reply = replyOf(m.data);
        if (reply === undefined) {
          // Neither an event nor a reply on this wait's own subject: it may have been the
          // completion, so the wait fails now, saying what came, instead of running out its time.
          settle(new ClientError(ClientErrorCode.BAD_EVENT, `execute_app: a message on ${m.subject} is not an fsbus event or reply envelope: ${eventProblem(m.data)}`));
          return;
        }
        // The dispatch reply arrives here too (forward_to gets a copy): only a failure counts, the
        // agent's word that the channel ended with no completion to come.
        if (reply.success) return;
        if (expected === undefined) earlyEnds.push(reply);
        else if (endsWait(reply, expected)) settle(new ReplyError(reply));
        return;
      }
      if (event.name !== 'CHANNEL_EXECUTE_COMPLETE') return;
      if (expected === undefined) early.push(event);
      else if (expected === '' || event.applicationUuid === undefined || event.applicationUuid === expected) settle(undefined, event);
    });
    await core.driver.flush();
  } catch (err) {
    settle(toClientError(err, 'execute_app', core.isClosed()));
    throw toClientError(err, 'execute_app', core.isClosed());
  }
  return {
    subject,
    complete,
    expect(applicationUuid, nodeId) {
      expected = applicationUuid;
      node = nodeId;
      restarts.node = slugNodeId(nodeId);
      const hit = early.find((e) => e.applicationUuid === undefined || e.applicationUuid === applicationUuid || applicationUuid === '');
      if (hit !== undefined) settle(undefined, hit);
      const ended = earlyEnds.find((r) => endsWait(r, applicationUuid));
      if (ended !== undefined) settle(new ReplyError(ended));
    },
    cancel() {
      settle(new ClientError(ClientErrorCode.ABORTED, 'execute_app failed before dispatch'));
    },
  };
}

/** The reply envelope `data` is (the dispatch reply's copy, or the agent's word that no completion will come), else undefined. */
function replyOf(data: Uint8Array): ReplyEnvelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
  return isReplyEnvelope(value) ? value : undefined;
}

/** Whether the failure is about this wait's application (an agent that names none: it is). */
function endsWait(reply: ReplyEnvelope, applicationUuid: string): boolean {
  const data = reply.data;
  const named = typeof data === 'object' && data !== null ? (data as { application_uuid?: unknown }).application_uuid : undefined;
  return typeof named !== 'string' || applicationUuid === '' || named === applicationUuid;
}
