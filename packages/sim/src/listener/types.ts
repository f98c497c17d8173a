/**
 * What the wire layer needs from the call core (a subset of SimCore's public API, so the
 * listener can be driven by any core with the same contract) and the knobs it shares with the
 * control API.
 */
import type { CoreEvent, CoreLogLine, CoreMessage } from '../core/types.js';

export interface WireCore {
  onEvent(listener: (e: CoreEvent) => void): () => void;
  onLog(listener: (l: CoreLogLine) => void): () => void;
  api(command: string, args: string): Promise<string>;
  /** `ownerUuid`: the session of a listener that controls one (its BACKGROUND_JOB carries Job-Owner-UUID). */
  bgapi(command: string, args: string, jobUuid: string, ownerUuid?: string): void;
  sendmsg(uuid: string, message: CoreMessage): string;
  sendevent(headers: ReadonlyArray<readonly [string, string]>, body: string | undefined): string;
  hasChannel(uuid: string): boolean;
  /**
   * switch_core_session_locate's read lock: the channel may hang up but is not destroyed until
   * the returned release runs (once; later calls do nothing). Undefined when there is no such channel.
   */
  holdChannel(uuid: string): (() => void) | undefined;
  channelEventHeaders(uuid: string): ReadonlyArray<readonly [string, string]> | undefined;
}

/** A user for `userauth user@domain:password` (FreeSWITCH's directory `esl-*` params). */
export interface EslUser {
  readonly user: string;
  readonly domain: string;
  readonly password: string;
  /** `esl-allowed-events`: event names (and CUSTOM subclasses after CUSTOM); absent = all. */
  readonly allowedEvents?: readonly string[];
  /** `esl-allowed-api`: api verbs; absent = all. */
  readonly allowedApi?: readonly string[];
  /** `esl-allowed-log`. @default true */
  readonly allowedLog?: boolean;
}

/** Fault-injection state shared by every connection of one simulator. */
export interface WireKnobs {
  /** Added before every command/reply and api/response, in ms. */
  replyLatencyMs: number;
  /** When set, `auth`/`userauth` answer `-ERR invalid` whatever the password. */
  refuseAuth: boolean;
  /** When set, no connection writes queued events or log lines (they pile up, then get lost). */
  eventsPaused: boolean;
}

export interface SessionLimits {
  /** Per-connection event and log queue length (FreeSWITCH's MAX_QUEUE_LEN). @default 100000 */
  readonly queueLimit: number;
  /** Lost events/log lines tolerated before the connection is killed (MAX_MISSED). @default 500 */
  readonly maxMissed: number;
}

export const DEFAULT_QUEUE_LIMIT = 100_000;
export const DEFAULT_MAX_MISSED = 500;
/** FreeSWITCH waits 25 s for the first command of a connection. */
export const DEFAULT_FIRST_COMMAND_TIMEOUT_MS = 25_000;
