/**
 * `originate` (SPEC §3.4): every field validated, and quoted or refused so that none can inject
 * arguments into the originate line. Runs as bgapi with a preset origination_uuid, so the
 * channel's uuid is known before FreeSWITCH answers.
 */
import { randomUUID } from 'node:crypto';
import { BusErrorCode, type BusRequest } from '@fsbus/contract';
import type { CommandContext, CommandHandler, CommandResult } from './registry.js';

const invalid = (message: string): CommandResult => ({ ok: false, code: BusErrorCode.INVALID_ARGUMENT, message });

/** Text that can sit inside FreeSWITCH single quotes: no quote, brace, comma escape or line break. */
const QUOTABLE = /^[^'{}\r\n\\]*$/;

function quote(value: string): string {
  return /[\s,]/.test(value) ? `'${value}'` : value;
}

function str(fields: Readonly<Record<string, unknown>>, key: string): string | undefined | null {
  const v = fields[key];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : null;
}

/** Builds the originate line, or says which field is wrong. */
export function buildOriginate(fields: Readonly<Record<string, unknown>>): { line: string; uuid: string } | { error: string } {
  const endpoint = str(fields, 'endpoint');
  if (endpoint === undefined || endpoint === null || endpoint.length < 1 || endpoint.length > 255) return { error: 'endpoint must be between 1 and 255 characters' };
  if (!/^[^\s'{}]+$/.test(endpoint)) return { error: 'endpoint must not contain spaces, quotes or braces' };

  const dest = str(fields, 'extension') ?? str(fields, 'destination');
  if (dest === undefined || dest === null || dest.length < 1 || dest.length > 255) return { error: 'extension must be between 1 and 255 characters' };
  const isApp = dest.startsWith('&');
  if (isApp ? !/^&[A-Za-z0-9_]+\(.*\)$/s.test(dest) || !QUOTABLE.test(dest) : !/^[^\s'{}]+$/.test(dest)) {
    return { error: isApp ? 'extension must be &app(args) without quotes, braces or line breaks' : 'extension must not contain spaces, quotes or braces' };
  }

  const dialplan = str(fields, 'dialplan') ?? 'XML';
  if (dialplan === null || !/^[A-Za-z0-9_]{1,63}$/.test(dialplan)) return { error: 'dialplan must be a dialplan name' };
  const context = str(fields, 'context') ?? 'default';
  if (context === null || context.length > 127) return { error: 'context must be 127 characters or fewer' };
  if (!/^[A-Za-z0-9_.-]+$/.test(context)) return { error: 'context must contain only letters, digits, _, . and -' };

  const vars: Array<[string, string]> = [];
  const uuidField = str(fields, 'uuid');
  if (uuidField === null || (uuidField !== undefined && !/^[A-Za-z0-9-]{2,63}$/.test(uuidField))) return { error: 'uuid must be between 2 and 63 characters' };
  const uuid = uuidField ?? randomUUID();
  vars.push(['origination_uuid', uuid]);
  for (const [key, varName] of [
    ['caller_id_name', 'origination_caller_id_name'],
    ['caller_id_number', 'origination_caller_id_number'],
  ] as const) {
    const v = str(fields, key);
    if (v === undefined) continue;
    if (v === null || v.length > 255 || !QUOTABLE.test(v)) return { error: `${key} must be a string of at most 255 characters without quotes or braces` };
    vars.push([varName, v]);
  }
  const timeout = fields['timeout'];
  if (timeout !== undefined) {
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > 3600) return { error: 'timeout must be an integer number of seconds (1-3600)' };
    vars.push(['originate_timeout', String(timeout)]);
  }
  const extra = fields['variables'];
  if (extra !== undefined) {
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) return { error: 'variables must be an object' };
    for (const [k, raw] of Object.entries(extra as Record<string, unknown>)) {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(k)) return { error: `variable name '${k.slice(0, 64)}' is not allowed` };
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') return { error: `variable ${k} must be a string, number or boolean` };
      const v = String(raw);
      if (!QUOTABLE.test(v)) return { error: `variable ${k} must not contain quotes, braces, backslashes or line breaks` };
      vars.push([k, v]);
    }
  }
  const varText = vars.map(([k, v]) => `${k}=${quote(v)}`).join(',');
  return { line: `originate {${varText}}${endpoint} ${quote(dest)} ${dialplan} ${context}`, uuid };
}

export const originateCommand: CommandHandler = {
  name: 'originate',
  async run(request: BusRequest, ctx: CommandContext): Promise<CommandResult> {
    const built = buildOriginate(request.fields);
    if ('error' in built) return invalid(built.error);
    const job = await ctx.bgapi(built.line);
    const result = job.body.trim();
    const data = { uuid: built.uuid, job_uuid: job.jobUuid, result };
    if (!result.startsWith('+OK')) return { ok: false, code: BusErrorCode.COMMAND_FAILED, message: 'Call origination failed', data };
    return { ok: true, message: 'Call originated successfully', data };
  },
};
