/**
 * Builds the text of Event Socket commands, and refuses what mod_event_socket (FreeSWITCH 1.10.12,
 * read_packet / parse_command) would read otherwise than meant: a newline ends the command early
 * and injects another one; a NUL byte ends the header block there; a block of 10 MiB is cut in
 * two; a block mentioning "unload"/"reload" and "mod_event_socket" is swapped for an unload/reload
 * of the module. Each is refused before anything is sent, so the reply queue stays in step.
 */
import { EslInvalidArgumentError } from './errors.js';
import { isContentLength, type EslEvent } from './event.js';

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

/** read_packet's max_len: a header block that reaches it is cut there, the rest read as another command. */
const MAX_HEADER_BLOCK_BYTES = 10 * 1024 * 1024;

// The byte count is needed only when a block could reach the limit: a UTF-16 unit is at most 3 UTF-8 bytes.
const COUNT_BYTES_FROM = Math.floor(MAX_HEADER_BLOCK_BYTES / 3);

function nulRefusal(what: string): EslInvalidArgumentError {
  return new EslInvalidArgumentError(`${what} must not contain a NUL byte (FreeSWITCH ends the command's header block there and would run the rest as commands)`);
}

export function checkLine(what: string, value: string): string {
  // One pass for both; which one it was is sorted out only on a refusal.
  if (/[\r\n\0]/.test(value)) throw /[\r\n]/.test(value) ? new EslInvalidArgumentError(`${what} must not contain a line break`) : nulRefusal(what);
  return value;
}

export function checkToken(what: string, value: string): string {
  if (value === '' || /[\s\0]/.test(value)) throw value.includes('\0') ? nulRefusal(what) : new EslInvalidArgumentError(`${what} must be a non-empty word without spaces`);
  return value;
}

const MOD_EVENT_SOCKET = /mod_event_socket/i;

/**
 * parse_command tests the whole header block (its `Command` is the block, not the first line; the
 * body is not in it): with "unload" and "mod_event_socket" in it, in any case, it runs `api bgapi
 * unload mod_event_socket` instead; else with "reload", `api bgapi reload mod_event_socket`. Either
 * drops every Event Socket connection, and the command meant is never run.
 */
function checkModuleSwap(block: string): void {
  if (!MOD_EVENT_SOCKET.test(block)) return;
  const swap = /unload/i.test(block) ? 'unload' : /reload/i.test(block) ? 'reload' : undefined;
  if (swap === undefined) return;
  throw new EslInvalidArgumentError(
    `command refused: it mentions "${swap}" and "mod_event_socket", and FreeSWITCH's mod_event_socket replaces any such command with "api bgapi ${swap} mod_event_socket" (dropping every Event Socket connection)`,
  );
}

/**
 * The checks on a whole header block (`tailBytes`: ASCII still to come after `head`, e.g. a
 * content-length line); the single-value ones (line breaks, NUL) ran on each part. Given the final
 * text where there is no body: the scan flattens it, and the socket write then reuses that.
 */
function checkHeaderBlock(head: string, tailBytes: number): string {
  if (head.length >= COUNT_BYTES_FROM - tailBytes) {
    const bytes = Buffer.byteLength(head) + tailBytes;
    if (bytes >= MAX_HEADER_BLOCK_BYTES) {
      throw new EslInvalidArgumentError(`the command's header block is ${bytes} bytes: FreeSWITCH cuts a block at ${MAX_HEADER_BLOCK_BYTES} bytes (10 MiB) and reads the rest as another command`);
    }
  }
  checkModuleSwap(head);
  return head;
}

function header(name: string, value: string): string {
  checkLine('header name', name);
  if (name.includes(':')) throw new EslInvalidArgumentError(`header name ${JSON.stringify(name)} must not contain ':'`);
  return `${name}: ${checkLine(`header ${name}`, value)}\n`;
}

function withBody(head: string, body: string | undefined): string {
  if (body === undefined || body === '') return checkHeaderBlock(`${head}\n`, 0);
  const length = `content-length: ${Buffer.byteLength(body)}\n\n`;
  return `${checkHeaderBlock(head, length.length)}${length}${body}`;
}

/**
 * A command of one line, e.g. `api status`. An empty (or blank) one is refused: FreeSWITCH
 * skips it and never answers, so its reply slot would take the next command's reply.
 */
export function simpleCommand(line: string): string {
  if (line.trim() === '') throw new EslInvalidArgumentError('command must not be empty');
  return `${checkHeaderBlock(checkLine('command', line), 2)}\n\n`;
}

export function bgapiCommand(command: string, jobUuid: string): string {
  return checkHeaderBlock(`bgapi ${checkLine('command', command)}\n${header('Job-UUID', checkToken('jobUuid', jobUuid))}\n`, 0);
}

export function sendmsgCommand(uuid: string | undefined, msg: SendMsg): string {
  let text = uuid === undefined ? 'sendmsg\n' : `sendmsg ${checkToken('uuid', uuid)}\n`;
  text += header('call-command', checkToken('callCommand', msg.callCommand));
  for (const [name, value] of Object.entries(msg.headers ?? {})) {
    if (isContentLength(name)) continue; // derived from the body
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
  if (arg !== undefined && arg !== '' && !inBody) headers['execute-app-arg'] = checkLine('execute-app-arg', arg);
  headers['event-uuid'] = checkToken('eventUuid', eventUuid);
  // Checked again with the whole block when sent; here too, so that a caller building the message
  // before other steps (the agent's execute_app sets variables first) is refused before them.
  checkModuleSwap(inBody || arg === undefined ? `${app}\n${eventUuid}` : `${app}\n${arg}\n${eventUuid}`);
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
    if (isContentLength(n)) continue; // derived from the body, as sendmsg does
    text += header(n, v);
  }
  return withBody(text, event.body);
}
