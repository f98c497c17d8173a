/**
 * Typed frames: what a RawFrame from the parser means, by its Content-Type. Also the writer
 * of frames, shared by the outbound server, the simulator and the tests.
 */
import { jsonEventSource, parseXmlEvent, plainEventSource, type EventFormat } from './event-codec.js';
import { eventFromMap, eventFromSource, type EslEvent } from './event.js';
import type { RawFrame } from './parser.js';

export const ContentType = {
  AUTH_REQUEST: 'auth/request',
  COMMAND_REPLY: 'command/reply',
  API_RESPONSE: 'api/response',
  EVENT_PLAIN: 'text/event-plain',
  EVENT_JSON: 'text/event-json',
  EVENT_XML: 'text/event-xml',
  LOG_DATA: 'log/data',
  DISCONNECT_NOTICE: 'text/disconnect-notice',
  RUDE_REJECTION: 'text/rude-rejection',
} as const;

export interface AuthRequestFrame {
  readonly kind: 'auth-request';
}
/** Reply to a command. `headers` carries everything else FreeSWITCH sent (Job-UUID, channel data of `connect`). */
export interface CommandReplyFrame {
  readonly kind: 'command-reply';
  readonly replyText: string;
  readonly ok: boolean;
  readonly headers: Map<string, string>;
}
export interface ApiResponseFrame {
  readonly kind: 'api-response';
  readonly body: string;
}
export interface EventFrame {
  readonly kind: 'event';
  readonly format: EventFormat;
  readonly event: EslEvent;
}
/** A `log/data` frame (after `log <level>`): one line of FreeSWITCH's log. */
export interface LogFrame {
  readonly kind: 'log';
  /** `Log-Level`: 0 (console) … 7 (debug). */
  readonly level: number;
  /**
   * `Text-Channel`: FreeSWITCH's text channel (switch_text_channel_t: `0` log, `1` clean log,
   * `2` event, `3` session), a number as text — not a call. The call's uuid is `userData`.
   */
  readonly channel: string | undefined;
  readonly file: string | undefined;
  readonly func: string | undefined;
  readonly line: number | undefined;
  /**
   * `User-Data`: the uuid of the call the line is about, whatever `channel` says (996 of the 1004
   * frames of the FreeSWITCH 1.10.12 capture carry one); '' or absent for a line about no call.
   */
  readonly userData: string | undefined;
  readonly text: string;
}
/**
 * The body of the notice mod_event_socket (listener_run) sends when a session's loop ends: after
 * an `exit` (its `+OK bye` first) or, without linger, once the controlled channel is down (also
 * after the linger time). Listeners it kills (lost events, module shutdown) get another text.
 */
export const GOODBYE_TEXT = 'Disconnected, goodbye.';

export interface DisconnectNoticeFrame {
  readonly kind: 'disconnect-notice';
  /** True when FreeSWITCH lingers (keeps sending events) before closing. */
  readonly linger: boolean;
  readonly headers: Map<string, string>;
  readonly text: string;
}
export interface RudeRejectionFrame {
  readonly kind: 'rude-rejection';
  readonly text: string;
}
/** A Content-Type this library does not know; passed on, never dropped. */
export interface UnknownFrame {
  readonly kind: 'unknown';
  readonly contentType: string;
  readonly headers: Map<string, string>;
  readonly body: Buffer | undefined;
}

export type EslFrame =
  | AuthRequestFrame
  | CommandReplyFrame
  | ApiResponseFrame
  | EventFrame
  | LogFrame
  | DisconnectNoticeFrame
  | RudeRejectionFrame
  | UnknownFrame;

function text(body: Buffer | undefined): string {
  return body === undefined ? '' : body.toString('utf8');
}

function optionalInt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number.parseInt(value, 10);
  return Number.isNaN(n) ? undefined : n;
}

const EMPTY = Buffer.alloc(0);

// Plain and json events keep their headers lazy (see EslEvent); xml is decoded at once.
function decodeEvent(format: EventFormat, body: Buffer): EslEvent {
  if (format === 'xml') {
    const decoded = parseXmlEvent(body);
    return eventFromMap(decoded.headers, decoded.body);
  }
  const decoded = format === 'plain' ? plainEventSource(body) : jsonEventSource(body);
  return eventFromSource(decoded.headers, decoded.body);
}

/** A command/reply frame from its headers (`Reply-Text` and whatever else came with it). */
export function commandReplyFrame(headers: Map<string, string>): CommandReplyFrame {
  const replyText = headers.get('Reply-Text') ?? '';
  return { kind: 'command-reply', replyText, ok: replyText.startsWith('+OK'), headers };
}

/**
 * Gives a raw frame its meaning.
 * @throws EslProtocolError when an event body cannot be decoded; the framing is intact,
 * so the caller may report the error and go on with the next frame.
 */
export function decodeFrame(raw: RawFrame): EslFrame {
  const { headers, body } = raw;
  const contentType = headers.get('Content-Type') ?? '';
  switch (contentType) {
    case ContentType.AUTH_REQUEST:
      return { kind: 'auth-request' };
    case ContentType.COMMAND_REPLY:
      return commandReplyFrame(headers);
    case ContentType.API_RESPONSE:
      return { kind: 'api-response', body: text(body) };
    case ContentType.EVENT_PLAIN:
    case ContentType.EVENT_JSON:
    case ContentType.EVENT_XML: {
      const format: EventFormat = contentType === ContentType.EVENT_PLAIN ? 'plain' : contentType === ContentType.EVENT_JSON ? 'json' : 'xml';
      return { kind: 'event', format, event: decodeEvent(format, body ?? EMPTY) };
    }
    case ContentType.LOG_DATA:
      return {
        kind: 'log',
        level: optionalInt(headers.get('Log-Level')) ?? 0,
        channel: headers.get('Text-Channel'),
        file: headers.get('Log-File'),
        func: headers.get('Log-Func'),
        line: optionalInt(headers.get('Log-Line')),
        userData: headers.get('User-Data'),
        text: text(body),
      };
    case ContentType.DISCONNECT_NOTICE:
      return { kind: 'disconnect-notice', linger: headers.get('Content-Disposition') === 'linger', headers, text: text(body) };
    case ContentType.RUDE_REJECTION:
      return { kind: 'rude-rejection', text: text(body) };
    default:
      return { kind: 'unknown', contentType, headers, body };
  }
}

/**
 * Writes one frame: headers in the order given, with `Content-Length` placed where FreeSWITCH
 * places it when a body is given (first for events, right after Content-Type otherwise),
 * unless the caller placed it itself.
 */
export function encodeFrame(headers: Iterable<readonly [string, string]>, body?: string | Buffer): Buffer {
  const bodyBuf = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const list = [...headers];
  if (bodyBuf !== undefined && bodyBuf.length > 0 && !list.some(([n]) => n === 'Content-Length')) {
    const type = list.find(([n]) => n === 'Content-Type')?.[1] ?? '';
    const entry = ['Content-Length', String(bodyBuf.length)] as const;
    const typeAt = list.findIndex(([n]) => n === 'Content-Type');
    list.splice(type.startsWith('text/event-') ? 0 : typeAt + 1, 0, entry);
  }
  let head = '';
  for (const [name, value] of list) head += `${name}: ${value}\n`;
  head += '\n';
  const headBuf = Buffer.from(head, 'utf8');
  return bodyBuf === undefined || bodyBuf.length === 0 ? headBuf : Buffer.concat([headBuf, bodyBuf]);
}
