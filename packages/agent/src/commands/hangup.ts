/** `hangup`: `uuid` (required, 2–63 chars), `cause` (default NORMAL_CLEARING) → `uuid_kill <uuid> <cause>`. */
import { BAD_CAUSE, BusErrorCode, channelUuidProblem, hangupCause, type BusRequest } from '@fsbus/contract';
import { optionalValue, requiredString } from './field-messages.js';
import { isFsError, type CommandContext, type CommandHandler, type CommandResult } from './registry.js';
import { sessionNotFound } from './session-not-found.js';

/** uuid_kill answered `-ERR No such channel!`: FSBUS_ERR_BUS_SESSION_NOT_FOUND, `data` = `{uuid}`. */
const HANGUP_NOT_FOUND = 'Channel hangup failed: no such channel';

const invalid = (message: string): CommandResult => ({ ok: false, code: BusErrorCode.INVALID_ARGUMENT, message });

/**
 * `hangup` is a built-in name, so `api('hangup', '<uuid>')` (`fsbus api hangup <uuid>`) lands here,
 * not on FreeSWITCH: its uuid in args would otherwise read as a missing uuid field.
 */
const ARGS_HINT =
  "hangup is the agent's own command: it takes fields, not args, so send uuid (and optionally cause), e.g. bus.hangup(uuid) in the SDK or fsbus hangup <uuid> [cause]; FreeSWITCH's own uuid_kill takes <uuid> [cause] as args";

export const hangupCommand: CommandHandler = {
  name: 'hangup',
  async run(request: BusRequest, ctx: CommandContext): Promise<CommandResult> {
    if (request.args !== undefined && request.args.trim() !== '' && optionalValue(request.fields, 'uuid', ['']) === undefined) return invalid(ARGS_HINT);
    const uuidLength = 'uuid must be between 2 and 63 characters';
    const uuid = requiredString(request.fields, 'uuid', uuidLength);
    if (typeof uuid !== 'string') return invalid(uuid.error);
    // A uuid is one token: anything else could smuggle extra arguments into uuid_kill.
    const problem = channelUuidProblem(uuid);
    if (problem !== undefined) return invalid(problem);
    // "" and 0 (no cause: NONE) are a Go or protobuf client's unset cause.
    const rawCause = optionalValue(request.fields, 'cause', ['', 0]);
    const cause = rawCause === undefined ? 'NORMAL_CLEARING' : hangupCause(rawCause);
    if (cause === undefined) return invalid(BAD_CAUSE);
    const output = await ctx.api(`uuid_kill ${uuid} ${cause}`);
    if (isFsError(output)) {
      // A channel that is gone is coded as execute_app codes it (`-ERR No such channel!`), not as a refusal.
      if (/no such channel/i.test(output)) return sessionNotFound(HANGUP_NOT_FOUND, uuid);
      return { ok: false, code: BusErrorCode.COMMAND_FAILED, message: 'Channel hangup failed', data: output };
    }
    return { ok: true, message: 'Channel hangup successful', data: { uuid, cause } };
  },
};
