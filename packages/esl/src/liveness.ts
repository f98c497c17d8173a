/**
 * Notices a FreeSWITCH that stopped answering on a socket that stays open (its host gone without
 * a FIN, a network cut, a peer stuck mid-frame). TCP keepalive alone takes about 12 minutes with
 * Linux's defaults (Node 20 sets only the idle time: 30 s, then 9 probes 75 s apart), all the
 * while a quiet event connection looks healthy.
 *
 * A connection that received nothing for a whole period and waits for no reply is sent a command
 * FreeSWITCH answers without doing anything: an unknown one (`-ERR command not found`, as the
 * captures show) changes no state of the connection and fires no API event, where an `api`
 * would publish one. No answer within another period, and the connection is given up, so the
 * reconnect starts. Nothing is sent while a reply is awaited: a long `api` (a synchronous
 * originate ringing for a minute) answers late on a healthy connection, and its own timeout
 * speaks for it. A request that timed out is no longer awaited, though it keeps its place in
 * the reply order: once only such requests are left, silence is probed again (the probe queues
 * behind them), or one timeout against a vanished peer would stop the watch for good.
 */
import { simpleCommand } from './command-text.js';
import type { EslConnection } from './connection.js';
import { EslTimeoutError } from './errors.js';

/** Not a mod_event_socket command, nor the start of one: FreeSWITCH answers `-ERR command not found`. */
export const LIVENESS_PROBE = 'fsbus-liveness-probe';

/** @default 60000 */
export const DEFAULT_LIVENESS_MS = 60_000;

/** Watches `conn` every `periodMs` until it closes; `onDead` when a probe went unanswered. */
export function watchLiveness(conn: EslConnection, periodMs: number, onDead: (err: EslTimeoutError) => void): void {
  if (conn.closed) return;
  let seen = conn.socket.bytesRead;
  let probing = false;
  const timer = setInterval(() => {
    const read = conn.socket.bytesRead;
    if (probing || read !== seen || conn.awaited > 0) {
      seen = read;
      return;
    }
    probing = true;
    conn.request(simpleCommand(LIVENESS_PROBE), 'liveness probe', { timeoutMs: periodMs }).then(
      () => {
        probing = false;
      },
      (err: unknown) => {
        probing = false;
        if (err instanceof EslTimeoutError && !conn.closed) onDead(new EslTimeoutError(`liveness probe after ${periodMs} ms of silence`, periodMs));
      },
    );
  }, periodMs);
  // The connection's socket is what keeps a process alive, not its watch.
  timer.unref();
  // Cleared with the close, not on the next tick: until then the timer would hold the whole
  // connection (socket, parser, reply queue, client) for up to a period.
  conn.socket.once('close', () => clearInterval(timer));
}
