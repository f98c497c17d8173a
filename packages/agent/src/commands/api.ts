/** The generic API fallback (SPEC §3.4): `api <command> <args>`, or bgapi with `"bg": true`. */
import { BusErrorCode, BusMessage, type BusRequest } from '@fsbus/contract';
import { EslCommandError } from '@fsbus/esl';
import { isFsError, type CommandContext, type CommandHandler, type CommandResult } from './registry.js';

/**
 * What mod_event_socket sends for an `api` command that printed nothing (`global_getvar` of an
 * unset variable, `echo` of nothing). mod_event_agent ran the API in process and saw the empty
 * output, a success: so does the bus. (A bgapi job's empty output stays empty.)
 */
const NO_OUTPUT = '-ERR no reply\n';

export const apiCommand: CommandHandler = {
  name: '(api)',
  async run(request: BusRequest, ctx: CommandContext): Promise<CommandResult> {
    const line = request.args !== undefined && request.args !== '' ? `${request.command} ${request.args}` : request.command;
    if (/[\r\n]/.test(line)) {
      return { ok: false, code: BusErrorCode.INVALID_ARGUMENT, message: 'command and args must not contain line breaks' };
    }
    let output: string;
    try {
      output = request.fields['bg'] === true ? (await ctx.bgapi(line)).body : await ctx.api(line);
      if (output === NO_OUTPUT && request.fields['bg'] !== true) output = '';
    } catch (err) {
      // A bgapi refused outright (`-ERR …` instead of a Job-UUID) fails like an `-ERR` job result.
      if (err instanceof EslCommandError) output = err.reply;
      else throw err;
    }
    if (isFsError(output)) return { ok: false, code: BusErrorCode.COMMAND_FAILED, message: 'API command failed', data: output };
    return { ok: true, message: BusMessage.API_EXECUTED, data: output };
  },
};
