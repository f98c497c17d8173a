export { EslParser, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_HEADER_BYTES } from './parser.js';
export type { RawFrame, ParserOptions } from './parser.js';
export { decodeFrame, encodeFrame, ContentType } from './frame.js';
export type {
  EslFrame,
  AuthRequestFrame,
  CommandReplyFrame,
  ApiResponseFrame,
  EventFrame,
  LogFrame,
  DisconnectNoticeFrame,
  RudeRejectionFrame,
  UnknownFrame,
} from './frame.js';
export { EslEvent, UNDEF_VALUE } from './event.js';
export type { HeaderInit } from './event.js';
export {
  parsePlainEvent,
  parseJsonEvent,
  parseXmlEvent,
  parseEventBody,
  serializeEvent,
  serializePlain,
  serializeJson,
  serializeXml,
  splitArrayValue,
  joinArrayValue,
} from './event-codec.js';
export type { EventFormat, DecodedEvent, HeaderList } from './event-codec.js';
export { EVENT_NAMES, isEventName } from './event-names.js';
export type { EventName } from './event-names.js';
export { fsUrlEncode, fsUrlDecode } from './url-encoding.js';
export {
  FsbusError,
  EslError,
  EslErrorCode,
  EslProtocolError,
  EslTimeoutError,
  EslAbortError,
  EslClosedError,
  EslConnectError,
  EslAuthError,
  EslRejectedError,
  EslCommandError,
  EslInvalidArgumentError,
  EslQueueFullError,
} from './errors.js';
