/**
 * `execute_app` (SPEC §3.4): runs a dialplan application on a live channel through `sendmsg`
 * (`call-command: execute`) with our own Event-UUID, and replies once FreeSWITCH queued it. `args`
 * go verbatim (in the sendmsg body when a header would not keep them). `vars` are set first with
 * uuid_setvar, escaped so that FreeSWITCH reads each value back exactly.
 * With `forward_to`, the application's CHANNEL_EXECUTE_COMPLETE (same payload as on the event
 * subject) is published there too when it arrives; if the channel ends without it, an error
 * envelope (`FSBUS_ERR_BUS_SESSION_NOT_FOUND`) says so instead; if the agent stops waiting for it
 * (too many waits: the oldest is dropped), an error envelope (`FSBUS_ERR_BUS_BUSY`) says that; if
 * the agent stops first, an error envelope (`FSBUS_ERR_BUS_SHUTTING_DOWN`).
 */
import { randomUUID } from 'node:crypto';
import { BusError, BusErrorCode, channelUuidProblem, encodeEventPayload, encodeReply, encodeUtf8, errorReply, type BusRequest } from '@fsbus/contract';
import { EslCommandError, executeMsg, type CommandOptions, type EslEvent, type SendMsg } from '@fsbus/esl';
import { NOT_CONNECTED } from './esl-failure.js';
import type { ExecuteCompletions, WatchEnd } from './execute-completions.js';
import { fieldValue, optionalString, requiredString } from './field-messages.js';
import { isFsError, type CommandContext, type CommandHandler, type CommandResult } from './registry.js';
import { sessionNotFound } from './session-not-found.js';

/**
 * Readies a channel for an execute, over `api` (the request's command path): call control stops
 * the agent's own park audio there, which would hold the execute back. Undefined: nothing to wait for.
 */
export type BeforeExecute = (uuid: string, api: (command: string) => Promise<string>) => Promise<void> | undefined;

export interface ExecuteAppDeps {
  nodeId: string;
  completions: ExecuteCompletions;
  /** Park mode stops its own audio on the channel first (ParkManager.stopAudioBeforeExecute). */
  beforeExecute?: BeforeExecute;
  /** sendmsg on a pool connection; undefined when FreeSWITCH is not connected. */
  sendmsg(uuid: string, msg: SendMsg, opts: CommandOptions): Promise<unknown>;
  publish(subject: string, data: Uint8Array): void;
}

export const ExecuteAppMessage = {
  DISPATCHED: 'execute_app dispatched',
  UUID_REQUIRED: "execute_app: 'uuid' field required",
  APP_REQUIRED: "execute_app: 'app' field required",
  NOT_FOUND: 'execute_app: session not found',
  /** On forward_to: the channel hung up before the application ran (FreeSWITCH sends no completion then). */
  ENDED: 'execute_app: the channel ended before the application completed',
  /** On forward_to: the channel ended while the event connection was down; its completion, if any, was lost. */
  ENDED_UNSEEN: 'execute_app: the channel ended while FreeSWITCH events were not received; the completion was lost',
  /**
   * On forward_to: the agent had too many completions to wait for and dropped this, the oldest,
   * wait; the application still runs and its completion is still published on the event subject.
   */
  EVICTED: 'execute_app: too many completions awaited, this wait was dropped; its completion will not be forwarded',
  /**
   * On forward_to: the agent stopped before the completion came; the application still runs, and
   * a restarted agent publishes its completion on the event subject only (it has no record of this wait).
   */
  SHUTTING_DOWN: 'execute_app: the agent is stopping; the completion will not be forwarded by this agent',
} as const;

/** What forward_to is told when a watch ends without its completion. */
const WATCH_END_REPLY: Readonly<Record<WatchEnd, { code: BusErrorCode; message: string }>> = {
  hangup: { code: BusErrorCode.SESSION_NOT_FOUND, message: ExecuteAppMessage.ENDED },
  unseen: { code: BusErrorCode.SESSION_NOT_FOUND, message: ExecuteAppMessage.ENDED_UNSEEN },
  evicted: { code: BusErrorCode.BUSY, message: ExecuteAppMessage.EVICTED },
  shutdown: { code: BusErrorCode.SHUTTING_DOWN, message: ExecuteAppMessage.SHUTTING_DOWN },
};

const invalid = (message: string): CommandResult => ({ ok: false, code: BusErrorCode.INVALID_ARGUMENT, message });
const notFound = (uuid: string): CommandResult => sessionNotFound(ExecuteAppMessage.NOT_FOUND, uuid);

/**
 * A uuid_setvar value as FreeSWITCH reads it back exactly (switch_separate_string, switch_utils.c):
 * it unescapes `\\`, `\'`, `\s`, `\t`… and drops paired quotes, so `\` and `'` are escaped; it
 * trims leading spaces and trailing blanks, so those go as `\s` / `\t`. Inner blanks it keeps.
 */
export function setvarValue(value: string): string {
  return value
    .replace(/[\\']/g, (c) => `\\${c}`)
    .replace(/^ +/, (blanks) => '\\s'.repeat(blanks.length))
    .replace(/[ \t]+$/, (blanks) => blanks.replace(/ /g, '\\s').replace(/\t/g, '\\t'));
}


type Parsed = { uuid: string; app: string; args: string | undefined; vars: Array<[string, string]>; eventLock: boolean };

export function parseExecuteApp(fields: Readonly<Record<string, unknown>>): Parsed | string {
  // mod_event_agent's reading: an empty uuid or app is none (`'uuid' field required`).
  const uuid = requiredString(fields, 'uuid');
  if (typeof uuid !== 'string') return `execute_app: ${uuid.error}`;
  if (uuid === '') return ExecuteAppMessage.UUID_REQUIRED;
  // One token: it goes on the sendmsg line (the rule of channel-uuid.ts, said in execute_app's words).
  if (channelUuidProblem(uuid) !== undefined) return 'execute_app: uuid must be 2-63 letters, digits, -, _, . or :';
  const app = requiredString(fields, 'app');
  if (typeof app !== 'string') return `execute_app: ${app.error}`;
  if (app === '') return ExecuteAppMessage.APP_REQUIRED;
  if (!/^[A-Za-z0-9_]{1,64}$/.test(app)) return 'execute_app: app must be an application name (letters, digits, _)';
  const rawArgs = optionalString(fields, 'args');
  if (typeof rawArgs === 'object') return `execute_app: ${rawArgs.error}`;
  const eventLock = fields['event_lock'] ?? false;
  if (typeof eventLock !== 'boolean') return 'execute_app: event_lock must be a boolean';
  const vars: Array<[string, string]> = [];
  const rawVars = fieldValue(fields, 'vars');
  if (rawVars !== undefined) {
    if (typeof rawVars !== 'object' || rawVars === null || Array.isArray(rawVars)) return 'execute_app: vars must be an object';
    for (const [k, v] of Object.entries(rawVars as Record<string, unknown>)) {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(k)) return `execute_app: variable name '${k.slice(0, 64)}' is not allowed (letters, digits, _, . and -)`;
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return `execute_app: variable ${k} must be a string, number or boolean`;
      const value = String(v);
      // uuid_setvar is one api line.
      if (/[\r\n]/.test(value) || value === '') return `execute_app: variable ${k} must be a non-empty single line`;
      // No escape keeps these: C strings end at NUL, FreeSWITCH trims a trailing vertical tab.
      if (/\0|\v$/.test(value)) return `execute_app: variable ${k} must not contain NUL or end with a vertical tab`;
      vars.push([k, value]);
    }
  }
  return { uuid, app, args: rawArgs, vars, eventLock };
}

export function createExecuteAppCommand(deps: ExecuteAppDeps): CommandHandler {
  return {
    name: 'execute_app',
    async run(request: BusRequest, ctx: CommandContext): Promise<CommandResult> {
      const p = parseExecuteApp(request.fields);
      if (typeof p === 'string') return invalid(p);
      const applicationUuid = randomUUID();
      // The args go in the sendmsg body where a header would not carry them as they are (executeMsg).
      // Built before any step: what FreeSWITCH would misread (executeMsg's EslInvalidArgumentError,
      // an INVALID_ARGUMENT answer) is refused before a variable is set.
      const msg = executeMsg(p.app, p.args, applicationUuid, p.eventLock ? { eventLock: true } : {});
      for (const [k, v] of p.vars) {
        const out = await ctx.api(`uuid_setvar ${p.uuid} ${k} ${setvarValue(v)}`);
        if (isFsError(out)) return /no such channel/i.test(out) ? notFound(p.uuid) : { ok: false, code: BusErrorCode.COMMAND_FAILED, message: `execute_app: setting ${k} failed`, data: out };
      }
      const ready = deps.beforeExecute?.(p.uuid, (command) => ctx.api(command));
      if (ready !== undefined) await ready;
      const forwardTo = request.forward_to;
      // Watch before sending: the completion comes on another connection and may win the race.
      const unwatch =
        forwardTo === undefined
          ? () => undefined
          : deps.completions.watch(
              applicationUuid,
              p.uuid,
              (event: EslEvent) => deps.publish(forwardTo, encodeUtf8(encodeEventPayload(event, deps.nodeId))),
              // No completion will come: the consumer is told instead of waiting out its timeout.
              (end: WatchEnd) =>
                deps.publish(
                  forwardTo,
                  encodeReply(
                    errorReply({
                      nodeId: deps.nodeId,
                      ...WATCH_END_REPLY[end],
                      data: { application_uuid: applicationUuid, uuid: p.uuid, app: p.app },
                      correlationId: request.correlation_id,
                    }),
                  ),
                ),
            );
      try {
        const sent = await deps.sendmsg(p.uuid, msg, { timeoutMs: ctx.timeoutMs, signal: ctx.signal });
        // Said plainly: the dispatcher adds why, as the link knows it (withUnavailableCause).
        if (sent === undefined) throw new BusError(BusErrorCode.FREESWITCH_UNAVAILABLE, NOT_CONNECTED);
      } catch (err) {
        unwatch();
        if (err instanceof EslCommandError && /invalid session id|no such channel/i.test(err.reply)) return notFound(p.uuid);
        if (err instanceof EslCommandError) return { ok: false, code: BusErrorCode.COMMAND_FAILED, message: 'execute_app failed', data: err.reply.trim() };
        throw err;
      }
      return { ok: true, message: ExecuteAppMessage.DISPATCHED, data: { application_uuid: applicationUuid, uuid: p.uuid, app: p.app } };
    },
  };
}
