/**
 * Builds the text of Event Socket commands, and refuses arguments that would break the framing
 * (a newline would end the command early and inject another one).
 */
import { EslInvalidArgumentError } from './errors.js';
import type { EslEvent } from './event.js';

/** A message for `sendmsg` (FreeSWITCH's `call-command` family). */
export interface SendMsg {
  /** `execute`, `hangup`, `unicast`, `nomedia`, `xferext`, … */
  callCommand: 'execute' | 'hangup' | 'unicast' | 'nomedia' | (string & {});
  /** Further headers, e.g. `execute-app-name`, `hangup-cause`. */
  headers?: Readonly<Record<string, string>>;
  /** Sent with `content-type: text/plain` (e.g. a multi-line application argument). */
  body?: string;
  /** `event-lock: true`: run in order with the other locked messages. */
  eventLock?: boolean;
  /** `loops: n`: run the application n times. */
  loops?: number;
  /** `async: true`: do not block the socket while the application runs (outbound sync mode). */
  async?: boolean;
}

export function checkLine(what: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new EslInvalidArgumentError(`${what} must not contain a line break`);
  return value;
}

export function checkToken(what: string, value: string): string {
  if (value === '' || /\s/.test(value)) throw new EslInvalidArgumentError(`${what} must be a non-empty word without spaces`);
  return value;
}

function header(name: string, value: string): string {
  checkLine('header name', name);
  if (name.includes(':')) throw new EslInvalidArgumentError(`header name ${JSON.stringify(name)} must not contain ':'`);
  return `${name}: ${checkLine(`header ${name}`, value)}\n`;
}

function withBody(text: string, body: string | undefined): string {
  if (body === undefined || body === '') return `${text}\n`;
  return `${text}content-length: ${Buffer.byteLength(body)}\n\n${body}`;
}

/**
 * A command of one line, e.g. `api status`. An empty (or blank) one is refused: FreeSWITCH
 * skips it and never answers, so its reply slot would take the next command's reply.
 */
export function simpleCommand(line: string): string {
  if (line.trim() === '') throw new EslInvalidArgumentError('command must not be empty');
  return `${checkLine('command', line)}\n\n`;
}

export function bgapiCommand(command: string, jobUuid: string): string {
  return `bgapi ${checkLine('command', command)}\n${header('Job-UUID', checkToken('jobUuid', jobUuid))}\n`;
}

export function sendmsgCommand(uuid: string | undefined, msg: SendMsg): string {
  let text = uuid === undefined ? 'sendmsg\n' : `sendmsg ${checkToken('uuid', uuid)}\n`;
  text += header('call-command', checkToken('callCommand', msg.callCommand));
  for (const [name, value] of Object.entries(msg.headers ?? {})) {
    if (/^content-length$/i.test(name)) continue; // derived from the body
    text += header(name, value);
  }
  if (msg.loops !== undefined) {
    if (!Number.isInteger(msg.loops) || msg.loops < 1) throw new EslInvalidArgumentError('loops must be a positive integer');
    text += header('loops', String(msg.loops));
  }
  if (msg.eventLock === true) text += header('event-lock', 'true');
  if (msg.async === true) text += header('async', 'true');
  const hasType = Object.keys(msg.headers ?? {}).some((n) => n.toLowerCase() === 'content-type');
  if (msg.body !== undefined && msg.body !== '' && !hasType) text += header('content-type', 'text/plain');
  return withBody(text, msg.body);
}

/** The sendmsg headers of `execute`: a multi-line argument goes in the body, as FreeSWITCH expects. */
export function executeMsg(app: string, arg: string | undefined, eventUuid: string, opts: { eventLock?: boolean | undefined; loops?: number | undefined; async?: boolean }): SendMsg {
  const headers: Record<string, string> = { 'execute-app-name': checkToken('app', app) };
  // In the body (text/plain) when a header would not carry it as it is: a line break ends the
  // header, and mod_event_socket drops a header value's leading spaces.
  const inBody = arg !== undefined && /^ |[\r\n]/.test(arg);
  if (arg !== undefined && arg !== '' && !inBody) headers['execute-app-arg'] = arg;
  headers['event-uuid'] = checkToken('eventUuid', eventUuid);
  const msg: SendMsg = { callCommand: 'execute', headers };
  if (inBody) msg.body = arg;
  if (opts.eventLock !== undefined) msg.eventLock = opts.eventLock;
  if (opts.loops !== undefined) msg.loops = opts.loops;
  if (opts.async !== undefined) msg.async = opts.async;
  return msg;
}

/** `sendevent <name>` with the event's headers and body. */
export function sendeventCommand(event: EslEvent): string {
  const name = event.name;
  if (name === '') throw new EslInvalidArgumentError('sendevent needs an event with an Event-Name header');
  let text = `sendevent ${checkToken('Event-Name', name)}\n`;
  for (const [n, v] of event.headers) {
    if (n === 'Content-Length') continue;
    text += header(n, v);
  }
  return withBody(text, event.body);
}
