/** What the ESL layer's expected failures mean on the bus, for the dispatcher and originate alike. */
import { BusErrorCode } from '@fsbus/contract';
import { EslClosedError, EslInvalidArgumentError, EslTimeoutError } from '@fsbus/esl';
import type { CommandResult } from './registry.js';

/** The failed result for an ESL timeout, abort, lost connection or refused argument; undefined for anything else. */
export function eslFailure(err: unknown, timeoutMs: number): (CommandResult & { ok: false }) | undefined {
  if (err instanceof EslTimeoutError || (err instanceof Error && err.name === 'EslAbortError')) {
    return { ok: false, code: BusErrorCode.TIMEOUT, message: `FreeSWITCH did not answer within ${timeoutMs} ms` };
  }
  if (err instanceof EslClosedError) return { ok: false, code: BusErrorCode.FREESWITCH_UNAVAILABLE, message: 'FreeSWITCH connection lost' };
  if (err instanceof EslInvalidArgumentError) return { ok: false, code: BusErrorCode.INVALID_ARGUMENT, message: err.message };
  return undefined;
}
