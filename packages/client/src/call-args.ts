/**
 * The argument lines of the typed call-control helpers (bridge, transfer, record, broadcast),
 * sent over the generic `api` command. Every value is checked before anything is sent: the line
 * is split by FreeSWITCH on blanks, so a value that is not one word would change what it runs.
 * No I/O here; the syntax is mod_commands.c's (UUID_BRIDGE/TRANSFER/SESS_REC/BROADCAST_SYNTAX).
 */
import { BusErrorCode } from '@fsbus/contract';
import { ClientError, ClientErrorCode, ReplyError } from './errors.js';
import { apiWordOption, booleanOption, channelUuidOption, countOption, objectOption, oneOfOption } from './validate.js';

export const TRANSFER_LEGS = ['aleg', 'bleg', 'both'] as const;
export type TransferLeg = (typeof TRANSFER_LEGS)[number];
// No `holdb`: alone it plays nowhere (uuid_broadcast_function sets no SMF_ECHO_* flag) yet answers +OK.
export const BROADCAST_LEGS = ['aleg', 'bleg', 'both'] as const;
export type BroadcastLeg = (typeof BROADCAST_LEGS)[number];

export interface TransferOptions {
  /** @default FreeSWITCH's (`XML`; sent as `XML` when only `context` is given, the arguments being positional) */
  dialplan?: string;
  /** @default FreeSWITCH's (`default`) */
  context?: string;
  /**
   * `bleg`: the leg bridged to `uuid` instead (`-bleg`); `both`: both legs (`-both`). A channel
   * with no bridged leg is transferred itself either way (transfer_function falls back to it).
   * @default 'aleg'
   */
  leg?: TransferLeg;
}

export interface RecordOptions {
  /** Stop the recording to `path` (`all`: every recording of the channel). @default false */
  stop?: boolean;
  /** Stop recording after this many seconds (start only). @default no limit */
  limitSeconds?: number;
}

export interface BroadcastOptions {
  /** Where it plays: `aleg` (the channel), `bleg` (its bridged leg), `both`. @default FreeSWITCH's: the channel, its other leg held meanwhile */
  leg?: BroadcastLeg;
}

/** An API command and its argument line. */
export interface ApiLine {
  command: string;
  args: string;
  /** `data` of the SESSION_NOT_FOUND error when FreeSWITCH has no such channel. */
  channel: Readonly<Record<string, string>>;
  /** FreeSWITCH's answer when it has no such channel — only where that is all it can mean. */
  notFound?: RegExp;
}

function options(value: unknown, name: string): void {
  if (value !== undefined) objectOption(value, name);
}

/** `uuid_bridge <uuid> <other_uuid>`. */
export function bridgeLine(uuid: unknown, otherUuid: unknown): ApiLine {
  const a = channelUuidOption(uuid, 'bridge: uuid');
  const b = channelUuidOption(otherUuid, 'bridge: otherUuid');
  if (a === b) throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, 'bridge: otherUuid must not be uuid itself');
  // No notFound: its `-ERR Invalid uuid` answers every failure of switch_ivr_uuid_bridge (neither
  // leg answered, one hanging up), not only a missing channel — kept as FreeSWITCH said it.
  return { command: 'uuid_bridge', args: `${a} ${b}`, channel: { uuid: a, other_uuid: b } };
}

/** `uuid_transfer <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]`. */
export function transferLine(uuid: unknown, destination: unknown, o: TransferOptions = {}): ApiLine {
  const u = channelUuidOption(uuid, 'transfer: uuid');
  const dest = apiWordOption(destination, 'transfer: destination');
  // transfer_function reads a second word starting with '-' as its -bleg/-both option.
  if (dest.startsWith('-')) throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, "transfer: destination must not start with '-' (uuid_transfer reads it as an option)");
  options(o, 'transfer: options');
  const leg = oneOfOption(o.leg, TRANSFER_LEGS, 'transfer: leg');
  const dialplan = o.dialplan === undefined ? undefined : apiWordOption(o.dialplan, 'transfer: dialplan');
  const context = o.context === undefined ? undefined : apiWordOption(o.context, 'transfer: context');
  const words = [u, ...(leg === undefined || leg === 'aleg' ? [] : [`-${leg}`]), dest];
  if (dialplan !== undefined || context !== undefined) words.push(dialplan ?? 'XML');
  if (context !== undefined) words.push(context);
  return { command: 'uuid_transfer', args: words.join(' '), channel: { uuid: u }, notFound: /^\s*-ERR No such channel!/ };
}

/** `uuid_record <uuid> start|stop <path> [<limit>]`. */
export function recordLine(uuid: unknown, path: unknown, o: RecordOptions = {}): ApiLine {
  const u = channelUuidOption(uuid, 'record: uuid');
  const p = apiWordOption(path, 'record: path');
  options(o, 'record: options');
  const stop = booleanOption(o.stop, 'record: stop') === true;
  const limit = countOption(o.limitSeconds, 'record: limitSeconds');
  if (stop && limit !== undefined) throw new ClientError(ClientErrorCode.INVALID_ARGUMENT, 'record: limitSeconds is for starting a recording, not with stop');
  const words = [u, stop ? 'stop' : 'start', p, ...(limit === undefined ? [] : [String(limit)])];
  return { command: 'uuid_record', args: words.join(' '), channel: { uuid: u }, notFound: /^\s*-ERR Cannot locate session!/ };
}

/** `uuid_broadcast <uuid> <path> [aleg|bleg|both]`; `path` may be `app::args` (one word). */
export function broadcastLine(uuid: unknown, path: unknown, o: BroadcastOptions = {}): ApiLine {
  const u = channelUuidOption(uuid, 'broadcast: uuid');
  const p = apiWordOption(path, 'broadcast: path');
  options(o, 'broadcast: options');
  const leg = oneOfOption(o.leg, BROADCAST_LEGS, 'broadcast: leg');
  // switch_ivr_broadcast fails only when it cannot locate the session.
  return { command: 'uuid_broadcast', args: leg === undefined ? `${u} ${p}` : `${u} ${p} ${leg}`, channel: { uuid: u }, notFound: /^\s*-ERR invalid uuid/ };
}

/**
 * `err` as `hangup` has it: the agent's COMMAND_FAILED for FreeSWITCH's "no such channel" becomes
 * FSBUS_ERR_BUS_SESSION_NOT_FOUND with `data` naming the channel; any other error is kept.
 */
export function sessionNotFound(err: unknown, line: ApiLine): unknown {
  if (!(err instanceof ReplyError) || err.code !== BusErrorCode.COMMAND_FAILED || typeof err.data !== 'string' || line.notFound?.test(err.data) !== true) return err;
  return new ReplyError({ ...err.reply, code: BusErrorCode.SESSION_NOT_FOUND, message: `${line.command} failed: no such channel`, data: { ...line.channel } });
}
