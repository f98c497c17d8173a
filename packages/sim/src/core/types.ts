/**
 * The seam between the simulated call core (src/core) and the Event Socket wire layer
 * (src/listener, src/outbound). The core knows nothing of sockets or encodings; the wire
 * layer knows nothing of channels. Both sides code against these types only.
 */

/** One event as the core fired it: the full header list in FreeSWITCH's order, ready to encode. */
export interface CoreEvent {
  /** `Event-Name`. */
  readonly name: string;
  /** `Event-Subclass` of CUSTOM events. */
  readonly subclass: string | undefined;
  /** Every header, in FreeSWITCH's order, values not URL-encoded. Duplicates allowed. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string | undefined;
  /** `Unique-ID` when the event concerns a channel (myevents / divert_events need it). */
  readonly uuid: string | undefined;
  /** `Event-Sequence`, strictly increasing across the core. */
  readonly sequence: number;
  /**
   * The wire layer's frames of this event, one per encoding, built when the first listener of
   * that encoding needs it (events are immutable once fired). The core leaves it undefined.
   * A slot on the event rather than a WeakMap beside it: at tens of thousands of events a
   * second, the WeakMap's entries cost the garbage collector ~15 % of the event's encoding.
   */
  frames?: Partial<Record<'plain' | 'json' | 'xml', Buffer>> | undefined;
}

/** One line of FreeSWITCH's log, for `log/data` listeners. */
export interface CoreLogLine {
  /** 0 (CONSOLE) .. 7 (DEBUG), FreeSWITCH's switch_log_level_t. */
  readonly level: number;
  readonly file: string;
  readonly func: string;
  readonly line: number;
  /** The channel's uuid when the line concerns one (FreeSWITCH's User-Data). */
  readonly uuid: string | undefined;
  /** The full text as FreeSWITCH formats it, ending with a newline. */
  readonly text: string;
  /**
   * FreeSWITCH's text channel (`Text-Channel` of log/data): 0 LOG, 1 LOG_CLEAN, 3 SESSION.
   * When absent the wire layer derives it: 1 for text without the date prefix, else 3 with a uuid, 0 without.
   */
  readonly channel?: number | undefined;
}

/** A `sendmsg` to a channel, as parsed by the wire layer. */
export interface CoreMessage {
  /** `call-command`: execute, hangup, unicast, nomedia, xferext … */
  readonly callCommand: string;
  /**
   * All headers of the sendmsg, names as sent, values as sent, in wire order. The first is
   * `Command` as mod_event_socket records it: `sendmsg <uuid>` when the uuid is on the command
   * line, else the whole header block text (e.g. `sendmsg\ncall-command: execute\n…\n\n`),
   * which is what FreeSWITCH's PRIVATE_COMMAND event carries.
   */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string | undefined;
}

/** What an outbound `socket` application needs from the wire layer. */
export interface OutboundConnector {
  /**
   * Connects the channel to an outbound ESL server at `host:port` and runs the session
   * (the `connect` handshake, commands from the server, events to it). Resolves when the
   * session ends; rejects when the server cannot be reached (the app then returns as
   * FreeSWITCH's socket app does, `Socket Error!` logged, and the dialplan goes on).
   */
  connect(target: { host: string; port: number; async: boolean; full: boolean }, channel: OutboundChannel): Promise<void>;
}

/** The channel side of an outbound socket session, implemented by the core. */
export interface OutboundChannel {
  readonly uuid: string;
  /** The CHANNEL_DATA headers sent in reply to `connect` (FreeSWITCH's order). */
  channelData(): ReadonlyArray<readonly [string, string]>;
  /**
   * Queues a sendmsg on this channel; returns the Reply-Text (`+OK`, `-ERR …`). `ran` is called
   * once the message has been run (an execute: its application finished), if it ever is.
   * `inline`: run it now instead of queueing it (a static session's own sendmsg).
   */
  sendmsg(message: CoreMessage, ran?: () => void, inline?: boolean): string;
  /** `getvar <name>` on this channel. */
  getVariable(name: string): string | undefined;
  /** Resolves when the channel is destroyed. */
  readonly ended: Promise<void>;
  /**
   * Optional: the server sent `resume` — FreeSWITCH sets `socket_resume=true` on the channel. The
   * dialplan goes on after the session with or without it (mod_event_socket never hangs up); it
   * only sets a state the channel is already in (async) or CS_RESET (static, not modelled).
   */
  resume?(): void;
}
