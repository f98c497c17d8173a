/** What the ESL layer's expected failures mean on the bus, for the dispatcher and originate alike. */
import { BusErrorCode } from '@fsbus/contract';
import { EslClosedError, EslCommandError, EslInvalidArgumentError, EslTimeoutError, EslTooLargeError } from '@fsbus/esl';
import type { CommandResult } from './registry.js';

/** A command that found no Event Socket connection to go on (FREESWITCH_UNAVAILABLE): nothing was sent. */
export const NOT_CONNECTED = 'FreeSWITCH is not connected';

/**
 * `failed` naming why FreeSWITCH is not connected, when it is the plain NOT_CONNECTED answer and
 * the cause is known (`FreeSWITCH is not connected: it refused the ESL password (…)`): the code
 * stays, the caller hears what /readyz says. Any other result is returned as it is; `cause` is
 * asked only for that answer (not on every command's way out).
 */
export function withUnavailableCause(failed: CommandResult, cause: () => string | undefined): CommandResult {
  if (failed.ok || failed.code !== BusErrorCode.FREESWITCH_UNAVAILABLE || failed.message !== NOT_CONNECTED) return failed;
  const why = cause();
  return why === undefined ? failed : { ...failed, message: `${NOT_CONNECTED}: ${why}` };
}

/** The failed result for an ESL timeout, abort, lost connection, refused argument or `-ERR` reply; undefined for anything else. */
export function eslFailure(err: unknown, timeoutMs: number): (CommandResult & { ok: false }) | undefined {
  if (err instanceof EslTimeoutError || (err instanceof Error && err.name === 'EslAbortError')) {
    return { ok: false, code: BusErrorCode.TIMEOUT, message: `FreeSWITCH did not answer within ${timeoutMs} ms` };
  }
  // Its body was skipped on the way in; the connection goes on (a `show channels` of a huge switch).
  if (err instanceof EslTooLargeError) return { ok: false, code: BusErrorCode.REPLY_TOO_LARGE, message: `FreeSWITCH's reply is ${err.bytes} bytes, over the Event Socket limit of ${err.limit} bytes` };
  // Sent and unanswered, it may have run: a caller must not take the retry for safe.
  if (err instanceof EslClosedError) {
    return { ok: false, code: BusErrorCode.FREESWITCH_UNAVAILABLE, message: err.unsent ? NOT_CONNECTED : 'FreeSWITCH connection lost while the command waited for its answer: it may have run' };
  }
  if (err instanceof EslInvalidArgumentError) return { ok: false, code: BusErrorCode.INVALID_ARGUMENT, message: err.message };
  // FreeSWITCH refused the command itself (a bgapi answered `-ERR …`): its own words reach the caller.
  if (err instanceof EslCommandError) return { ok: false, code: BusErrorCode.COMMAND_FAILED, message: 'FreeSWITCH refused the command', data: err.reply.trim() };
  return undefined;
}
