/**
 * The per-connection state of mod_event_socket's `listener_t`: its flags, event list, filters,
 * log level and (for outbound sockets and `myevents <uuid>`) the session it controls.
 */
import type { OutboundChannel } from '../core/types.js';
import { EventSubscription, FilterList } from './subscriptions.js';
import type { EventFormat } from './wire-frames.js';

export class SessionState {
  /** LFLAG_AUTHED (outbound sockets start authenticated). */
  authed = false;
  /** LFLAG_RUNNING: cleared by `exit` and failed auth; the connection then closes. */
  running = true;
  format: EventFormat = 'plain';
  /** LFLAG_EVENTS. */
  events = false;
  readonly subscription = new EventSubscription();
  readonly filters = new FilterList();
  /** LFLAG_LOG and the level of `log <level>`. */
  log = false;
  logLevel = 7;
  /** LFLAG_ALLOW_LOG (userauth may take it away). */
  allowLog = true;
  /** LFLAG_MYEVENTS. */
  myEvents = false;
  /** The controlled session: the outbound channel, or the uuid of `myevents <uuid>`. */
  sessionUuid: string | undefined;
  /** Releases the read lock inbound `myevents <uuid>` took on that channel (when the listener ends). */
  releaseSession: (() => void) | undefined;
  channel: OutboundChannel | undefined;
  /** LFLAG_OUTBOUND, LFLAG_FULL, LFLAG_ASYNC. */
  outbound = false;
  full = true;
  async = false;
  /** LFLAG_CONNECTED: the outbound `connect` was answered. */
  connected = false;
  /** LFLAG_LINGER and linger_timeout in seconds (-1 = until the client leaves). */
  linger = false;
  lingerSeconds = -1;
  /** LFLAG_RESUME. */
  resume = false;
  /** CF_DIVERT_EVENTS on the controlled channel. */
  divertEvents = false;
  /** userauth's esl-allowed-api (undefined = everything). */
  allowedApi: ReadonlySet<string> | undefined;
  /** userauth's esl-allowed-events (undefined = everything). */
  allowedEvents: { names: ReadonlySet<string>; subclasses: ReadonlySet<string>; all: boolean } | undefined;
}
