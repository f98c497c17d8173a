/**
 * mod_event_socket's parse_command: one client command in, the reply out, with FreeSWITCH's
 * texts (typos included), its prefix matching (`strncasecmp`) and its order of checks, which
 * decides e.g. that an inbound `getvar` is `-ERR command not found`.
 */
import { randomUUID } from 'node:crypto';
import { MYEVENTS_NAMES } from '@fsbus/esl';
import type { CoreMessage, OutboundChannel } from '../core/types.js';
import { apiAllowed, checkPassword, checkUser } from './auth.js';
import type { CommandPacket } from './command-reader.js';
import { runEventCommand } from './event-commands.js';
import type { SessionState } from './session-state.js';
import type { EslUser, WireCore, WireKnobs } from './types.js';
import { apiResponse, plainEventBody } from './wire-frames.js';
import { switchTrue } from '../core/switch-true.js';

export type CommandResult =
  | { readonly kind: 'reply'; readonly text: string; readonly extra?: ReadonlyArray<readonly [string, string]> }
  /** `reply`: a command reply written raw (not sent for an outbound socket's first command, as the others). */
  | { readonly kind: 'raw'; readonly data: string | Buffer; readonly reply?: true };

export interface CommandContext {
  readonly state: SessionState;
  readonly core: WireCore;
  readonly password: string;
  readonly users: readonly EslUser[];
  readonly knobs: WireKnobs;
  /** Drops queued events (`noevents`) or log lines (`nolog`). */
  discardQueued(what: 'events' | 'logs'): void;
  /** The controlled channel's variable (getvar). */
  channelVariable(name: string): Promise<string | undefined>;
  /** The controlled channel's CHANNEL_DATA headers (connect). */
  channelData(): ReadonlyArray<readonly [string, string]>;
}

const NOT_FOUND = '-ERR command not found';

function reply(text: string, extra?: ReadonlyArray<readonly [string, string]>): CommandResult {
  return extra === undefined ? { kind: 'reply', text } : { kind: 'reply', text, extra };
}

/** parse_command writes a getvar value into listener_run's 512-byte reply buffer: its first 511 bytes. */
const GETVAR_VALUE_MAX = 511;

/**
 * A getvar value as listener_run writes it: cut to the reply buffer (bytes, even inside a UTF-8
 * character), and a reply starting `~` written as headers of its own — no `Reply-Text`, no blank
 * line, so what FreeSWITCH writes next runs on in the same frame.
 */
function getvarReply(value: string): CommandResult {
  const bytes = Buffer.from(value, 'utf8').subarray(0, GETVAR_VALUE_MAX);
  if (bytes[0] === 0x7e) return { kind: 'raw', data: Buffer.concat([Buffer.from('Content-Type: command/reply\n'), bytes.subarray(1)]), reply: true };
  return { kind: 'raw', data: Buffer.concat([Buffer.from('Content-Type: command/reply\nReply-Text: '), bytes, Buffer.from('\n\n')]), reply: true };
}

function startsWith(cmd: string, prefix: string): boolean {
  return cmd.slice(0, prefix.length).toLowerCase() === prefix;
}

export function headerValue(packet: CommandPacket, name: string): string | undefined {
  const lower = name.toLowerCase();
  return packet.headers.find(([n]) => n.toLowerCase() === lower)?.[1];
}

function splitFirst(text: string): [string, string | undefined] {
  const space = text.indexOf(' ');
  return space < 0 ? [text, undefined] : [text.slice(0, space), text.slice(space + 1)];
}

export async function runCommand(ctx: CommandContext, packet: CommandPacket): Promise<CommandResult> {
  const { state } = ctx;
  const cmd = packet.command;
  if (startsWith(cmd, 'exit') || startsWith(cmd, '...')) {
    state.running = false;
    return reply('+OK bye');
  }
  if (!state.authed) {
    if (startsWith(cmd, 'auth ')) {
      const out = checkPassword(state, cmd.slice(5), ctx.password, ctx.knobs.refuseAuth);
      return reply(out.text, out.extra);
    }
    if (startsWith(cmd, 'userauth ')) {
      const out = checkUser(state, cmd.slice(9), ctx.users, ctx.knobs.refuseAuth);
      return reply(out.text, out.extra);
    }
    return reply(NOT_FOUND);
  }
  if (startsWith(cmd, 'filter ')) return reply(filterCommand(state, cmd.slice(7).replace(/^ +/, '')));
  const inSession = state.sessionUuid !== undefined || state.channel !== undefined;
  if (inSession && startsWith(cmd, 'resume')) {
    state.resume = true;
    state.channel?.resume?.();
    return reply('+OK');
  }
  if (inSession || startsWith(cmd, 'myevents ')) {
    if (inSession && startsWith(cmd, 'connect')) {
      state.connected = true;
      const headers: Array<readonly [string, string]> = [...ctx.channelData()];
      headers.push(['Content-Type', 'command/reply'], ['Reply-Text', '+OK\n']);
      headers.push(['Socket-Mode', state.async ? 'async' : 'static'], ['Control', state.full ? 'full' : 'single-channel']);
      return { kind: 'raw', data: plainEventBody(headers, undefined) };
    }
    if (inSession && startsWith(cmd, 'getvar')) {
      const space = cmd.indexOf(' ');
      const value = space < 0 ? '' : ((await ctx.channelVariable(cmd.slice(space + 1))) ?? '');
      return value === '' ? reply(NOT_FOUND) : getvarReply(value);
    }
    if (startsWith(cmd, 'myevents')) return reply(myEvents(ctx, packet));
  }
  if (startsWith(cmd, 'divert_events')) return reply(divertEvents(state, cmd.slice(13)));
  if (startsWith(cmd, 'sendmsg')) return reply(await sendMsg(ctx, packet));
  if (state.outbound && !state.full) return reply(NOT_FOUND);
  if (startsWith(cmd, 'sendevent')) return reply(`+OK ${ctx.core.sendevent(packet.headers, packet.body)}`);
  if (startsWith(cmd, 'api ')) {
    const [command, args] = splitFirst(cmd.slice(4));
    if (!apiAllowed(state.allowedApi, command, args)) return reply('-ERR permission denied');
    let body: string;
    try {
      body = await ctx.core.api(command, args ?? '');
    } catch {
      body = `-ERR ${command} Command not found!\n`;
    }
    return { kind: 'raw', data: apiResponse(body === '' ? '-ERR no reply\n' : body) };
  }
  if (startsWith(cmd, 'bgapi ')) {
    const [command, args] = splitFirst(cmd.slice(6));
    if (!apiAllowed(state.allowedApi, command, args)) return reply('-ERR permission denied');
    // FreeSWITCH reads the header into char[37] (36 kept) and drops a header with no value.
    const given = headerValue(packet, 'job-uuid');
    const jobUuid = given === undefined || given === '' ? randomUUID() : given.slice(0, 36);
    ctx.core.bgapi(command, args ?? '', jobUuid, state.channel?.uuid ?? state.sessionUuid);
    return reply(`+OK Job-UUID: ${jobUuid}`, [['Job-UUID', jobUuid]]);
  }
  return reply(runEventCommand(ctx, cmd, packet.rawHead) || NOT_FOUND);
}

function filterCommand(state: SessionState, rest: string): string {
  let [name, value] = splitFirst(rest);
  if (name.toLowerCase() === 'delete' && value !== undefined) {
    [name, value] = splitFirst(value);
    if (name.toLowerCase() === 'all') state.filters.clear();
    else state.filters.delete(name, value);
    return `+OK filter deleted. [${name}][${value ?? ''}]`;
  }
  if (value === undefined) return '-ERR invalid syntax';
  if (name.toLowerCase() === 'add') [name, value] = splitFirst(value);
  if (value !== undefined) state.filters.add(name, value);
  return `+OK filter added. [${name}]=[${value ?? '(null)'}]`;
}

function myEvents(ctx: CommandContext, packet: CommandPacket): string {
  const { state } = ctx;
  const cmd = packet.command;
  if (state.myEvents) return '-ERR aready enabled.';
  if (state.sessionUuid === undefined && state.channel === undefined) {
    const [uuid, fmt] = splitFirst(cmd.slice(9));
    // switch_core_session_locate: the listener keeps the session's read lock until it ends.
    const release = ctx.core.holdChannel(uuid);
    if (release !== undefined) {
      state.sessionUuid = uuid;
      state.releaseSession = release;
    } else if (fmt !== undefined) return '-ERR invalid uuid';
    // FreeSWITCH has cut the format off the command by now: inbound `myevents <uuid> json` stays plain.
    state.async = true;
  } else {
    // FreeSWITCH searches its whole Command value, which is the entire header block here.
    const text = packet.rawHead;
    if (text.includes('xml') || text.includes('XML')) state.format = 'xml';
    if (text.includes('json') || text.includes('JSON')) state.format = 'json';
  }
  state.subscription.addNames(MYEVENTS_NAMES);
  state.myEvents = true;
  state.events = true;
  return '+OK Events Enabled';
}

function divertEvents(state: SessionState, rest: string): string {
  if (state.sessionUuid === undefined && state.channel === undefined) return '-ERR not controlling a session.';
  const onoff = rest.replace(/^ +/, '');
  if (onoff === '') return '-ERR missing value.';
  state.divertEvents = onoff.toLowerCase() === 'on';
  return state.divertEvents ? '+OK events diverted' : '+OK events not diverted';
}

function sendMsg(ctx: CommandContext, packet: CommandPacket): string | Promise<string> {
  const { state } = ctx;
  let uuid: string | undefined = packet.command.slice(7).replace(/^ +/, '');
  if (uuid === '') uuid = headerValue(packet, 'session-id');
  const own = state.channel?.uuid ?? state.sessionUuid;
  if (uuid !== undefined && uuid === own) uuid = undefined;
  // FreeSWITCH's `Command` of a sendmsg is its first line when a uuid follows the verb, else the
  // whole header block (it only cuts the line when it reads a uuid there); PRIVATE_COMMAND shows it.
  const named = packet.command.slice(7).replace(/^ +/, '') !== '';
  const headers = new Map<string, string>([['Command', named ? packet.command : packet.rawHead]]);
  for (const [n, v] of packet.headers) if (n !== 'Command') headers.set(n, v);
  const message: CoreMessage = { callCommand: headerValue(packet, 'call-command') ?? '', headers, body: packet.body };
  if ((uuid === undefined || uuid === '') && own !== undefined) {
    const channel: OutboundChannel | undefined = state.channel;
    if (channel === undefined) return ctx.core.sendmsg(own, message);
    // A static outbound session runs its own channel's message inline (switch_ivr_parse_event in
    // the socket application's thread) and replies once it has run — after a bridge, hours later.
    // Async mode, or an `async: true` header, queues it and replies at once.
    if (state.async || switchTrue(headerValue(packet, 'async'))) return channel.sendmsg(message);
    return runInline(channel, message);
  }
  if (uuid !== undefined && uuid !== '' && ctx.core.hasChannel(uuid)) return ctx.core.sendmsg(uuid, message);
  return `-ERR invalid session id [${uuid ?? ''}]`;
}

/** The reply once the message has run; at once when it is refused, or when the channel is gone first. */
function runInline(channel: OutboundChannel, message: CoreMessage): Promise<string> {
  return new Promise((resolve) => {
    // The message may run before sendmsg returns (nothing ahead of it, nothing to wait for).
    let ran = false;
    let onRan = (): void => {
      ran = true;
    };
    const text = channel.sendmsg(message, () => onRan(), true);
    if (ran || !text.startsWith('+OK')) return resolve(text);
    onRan = () => resolve(text);
    // A message still queued when the channel is destroyed is never run: FreeSWITCH's inline
    // execute returns at once on a channel that is gone.
    void channel.ended.then(() => onRan());
  });
}
