export { EslParser, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_HEADER_BYTES } from './parser.js';
export { DeadlineTimer } from './deadline-timer.js';
export { hostPort } from './host-port.js';
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
export { EVENT_NAMES, eventNameOf, eventWords, isEventName, MYEVENTS_NAMES } from './event-names.js';
export { runsOnHungUpChannel } from './zombie-apps.js';
export { HANGUP_CAUSES, hangupCauseName, hangupCauseQ850 } from './hangup-causes.js';
export type { HangupCause } from './hangup-causes.js';
export type { EventWord } from './event-names.js';
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
  EslTooLargeError,
  EslListenerError,
  EslSubscriptionRefusedError,
} from './errors.js';
export {
  EslClient,
  DEFAULT_ESL_PORT,
  DEFAULT_ESL_PASSWORD,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_MAX_PENDING,
  DEFAULT_EVENT_QUEUE_LIMIT,
  RECONNECT_FAILED_LOG,
  CONNECTION_LOST_LOG,
} from './client.js';
export type { EslClientCloseReason, EslClientOptions, EslClientStatus, EslClientEvents } from './client.js';
export { DEFAULT_LIVENESS_MS, LIVENESS_PROBE } from './liveness.js';
export { EslServer, DEFAULT_OUTBOUND_PORT } from './server.js';
export type { EslServerOptions, EslServerEvents } from './server.js';
export { EslSession } from './session.js';
export type { EslSessionEvents, EslSessionOptions, PlayAndGetDigitsOptions } from './session.js';
export type { CommandOptions, BgapiOptions, BgapiResult, ExecuteOptions, EventSubscription } from './command-options.js';
export type { SendMsg } from './command-text.js';
export { executeMsg } from './command-text.js';
export type { ReplyFrame, RequestOptions } from './connection.js';
export type { EslHubEvents, EslStats, ChannelListener } from './event-hub.js';
export { EventIterator } from './event-iterator.js';
export type { IterateOptions } from './event-iterator.js';
export { afterTask } from './after-task.js';
export { backoffDelay, DEFAULT_BACKOFF, MAX_TIMER_MS } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { errorFields, silentLogger, withBindings } from './logger.js';
export type { EslLogger } from './logger.js';
export { LogThrottle, DEFAULT_LOG_THROTTLE_MS } from './log-throttle.js';
export type { LogFn, LogFold } from './log-throttle.js';
