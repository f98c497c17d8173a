/** The options and results of the Event Socket commands (EslCommands). */
import type { EventName } from './event-names.js';

export interface CommandOptions {
  /** Milliseconds to wait for the reply; 0 or Infinity: no timeout; at most 2^31-1. @default requestTimeoutMs of the client (30000) */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface BgapiOptions extends CommandOptions {
  /** The Job-UUID to use. @default crypto.randomUUID() */
  jobUuid?: string;
}

export interface ExecuteOptions extends CommandOptions {
  eventLock?: boolean;
  /**
   * Runs the application up to `loops` times (a positive integer); the promise resolves once the
   * loop is over, with the CHANNEL_EXECUTE_COMPLETE of its last run. FreeSWITCH leaves the loop
   * early, without an event saying so, after a run shorter than 0.5 s or once the channel is
   * gone: the wait ends after the run whose `variable_current_loop` reaches `loops`, or whose
   * CHANNEL_EXECUTE → CHANNEL_EXECUTE_COMPLETE (Event-Date-Timestamp) took under 0.5 s, or at a
   * hangup after at least one completion (a hangup before any still rejects). With `loops` > 1
   * the client also subscribes to CHANNEL_EXECUTE for itself while it waits. A loop cut short
   * otherwise (`uuid_break … all`) is not seen: bound such a wait with `timeoutMs` (which bounds
   * the whole loop and rejects even after some runs completed).
   * @default 1
   */
  loops?: number;
  /** The Event-UUID to send (becomes the Application-UUID of the completion). @default crypto.randomUUID() */
  eventUuid?: string;
}

export interface BgapiResult {
  jobUuid: string;
  /** The BACKGROUND_JOB body: the command's output, `-ERR …` included. */
  body: string;
}

/** An event name (`ALL` included) or, after `CUSTOM`, a subclass such as `sofia::register`. */
export type EventSubscription = EventName | (string & {});
