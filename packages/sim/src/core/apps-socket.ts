/** The `socket` application: an outbound Event Socket session (mod_event_socket socket_function). */
import type { Channel } from './channel.js';
import type { AppHandle } from './executor.js';
import type { AppDeps } from './apps.js';
import { enterPark } from './bridge-end.js';

/** socket_function's port: atoi of what follows the host's last `:`, as a switch_port_t. */
function socketPort(text: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  return m === null ? 0 : Number.parseInt(m[1]!, 10) & 0xffff;
}

const SOCKET_SITE = (line: number): { file: string; func: string; line: number } => ({ file: 'mod_event_socket.c', func: 'socket_function', line });

/**
 * socket <host:port>[|<host:port>…] [async] [full]: hands the channel to the wire layer's outbound
 * connector, trying each host in turn until one answers; the flags are read in any case
 * (strcasecmp). Only `async` runs the session beside a parked channel (mod_event_socket.c
 * socket_function); a static session runs listener_run on the channel's own thread: nothing
 * queued for the channel runs meanwhile, and a hangup's state changes wait until the session is over.
 */
export function runSocket(deps: AppDeps, ch: Channel, data: string, done: (r?: string) => void, app: AppHandle): void {
  const e = deps.executor.engine;
  const [target = '', ...flags] = data.trim().split(/\s+/);
  const hasFlag = (name: string): boolean => flags.some((f) => f.toLowerCase() === name);
  const isAsync = hasFlag('async');
  const full = hasFlag('full');
  const hosts = target.split('|');
  const connector = deps.outbound();
  let finished = false;
  let leavePark: (() => void) | undefined;
  const finish = (): void => {
    if (finished) return;
    if (leavePark !== undefined) return leavePark();
    finished = true;
    done();
  };
  /** The static session is over: the application returns, then a waiting hangup goes on. */
  const giveThreadBack = (): void => {
    app.holdsThread = false;
    finish();
    e.resumeHangup(ch);
  };
  let parked = false;
  app.onStop = () => finish();
  const onConnected = (): void => {
    // socket_function parks once, after the first `connect`; a later one only resends the channel data.
    if (finished || parked || ch.isHungUp || !isAsync) return;
    parked = true;
    // switch_ivr_park: it runs the channel's queued messages (sendmsg, uuid_broadcast) and honours park_timeout.
    leavePark = enterPark(deps.executor, ch, app, () => {
      leavePark = undefined;
      finish();
    });
  };
  const outboundChannel = deps.outboundChannel(ch, onConnected);
  const refused = (): void => e.log(ch, 3, SOCKET_SITE(486), 'Socket Error: Connection refused');
  // The port carries over to a later host that names none, as socket_function's one variable does.
  let port = 8084;
  let connecting = false;
  /** Hosts from `x` on, synchronously up to the first connection attempt; false when none was made. */
  const tryFrom = (x: number): boolean => {
    for (; x < hosts.length; x++) {
      const text = hosts[x]!;
      if (text === '') {
        e.log(ch, 3, SOCKET_SITE(448), 'Missing Host!');
        continue;
      }
      e.log(ch, 5, SOCKET_SITE(452), `Trying host: ${text}`);
      const i = text.lastIndexOf(':');
      const host = i > 0 ? text.slice(0, i) : text;
      if (i > 0) port = socketPort(text.slice(i + 1));
      ch.setVar('socket_host', host);
      if (connector === undefined) {
        refused();
        continue;
      }
      const next = x + 1;
      if (!connecting) {
        connecting = true;
        if (!isAsync) app.holdsThread = true;
        // The outbound session holds the channel: it is destroyed only once the session has closed.
        e.hold(ch);
      }
      connector.connect({ host, port, async: isAsync, full }, outboundChannel).then(
        () => e.defer(() => {
          // Session over: mod_event_socket never hangs up, `resume` or not. socket_function returns
          // and the dialplan goes on; after its last application the executor hangs up (NORMAL_CLEARING).
          if (isAsync) finish();
          else giveThreadBack();
          e.release(ch);
        }),
        () => e.defer(() => {
          if (finished) return e.release(ch);
          refused();
          if (tryFrom(next)) return;
          e.release(ch);
          app.holdsThread = false;
          unreachable();
          e.resumeHangup(ch);
        }),
      );
      return true;
    }
    return false;
  };
  /** socket_function when no host answers: a log line and a return — the dialplan goes on. */
  const unreachable = (): void => {
    e.log(ch, 3, SOCKET_SITE(490), 'Socket Error!');
    finish();
  };
  if (!tryFrom(0)) unreachable();
}
