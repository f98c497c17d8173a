export {
  DEFAULT_PREFIX,
  MAX_PREFIX_LENGTH,
  MAX_NODE_ID_LENGTH,
  prefixProblem,
  sanitizePrefix,
  slugNodeId,
  eventSubjectTail,
  buildSubjects,
  forwardToProblem,
  isPublishableSubject,
} from './subjects.js';
export type { Subjects } from './subjects.js';
export { BusErrorCode, BusError, BusMessage } from './errors.js';
export { nowMicros, successReply, errorReply, encodeReply, decodeReply, isReplyEnvelope } from './envelope.js';
export type { ReplyEnvelope, ReplyInit } from './envelope.js';
export { CORRELATION_ID_HEADER, DEFAULT_MAX_PAYLOAD_BYTES, parseRequest, leadingVerb } from './request.js';
export type { BusRequest, RequestHints, ParseResult, ParseOptions } from './request.js';
export { invokedVerbs, isVerbPermitted, verbList } from './verb-policy.js';
export type { VerbPolicy } from './verb-policy.js';
export { AGENT_START_SUBCLASS, AGENT_STOP_SUBCLASS, INSTANCE_ID_HEADER, EVENTS_RESUMED_SUBCLASS, EVENTS_DROPPED_SUBCLASS, AGENT_NOTICE_SUBCLASSES, buildEventPayload, encodeEventPayload, eventTimestampUs, EventFilter } from './events.js';
export type { EventPayload, EventSource, EventFilterSpec, EventSubscriptionPlan } from './events.js';
export { encodeUtf8 } from './utf8.js';
export { clipText } from './text-length.js';
export { MAX_COMMAND_TIMEOUT_MS, requestSchema, replySchema, eventSchema, schemaFiles, schemaFileText, commandRequestSchemas, commandDataSchemas } from './schemas.js';
export { FREESWITCH_ORIGINATE_TIMEOUT_S, ORIGINATE_GRACE_MS, ORIGINATE_MAX_RING_S, originateRingMs, originateWaitMs } from './originate-wait.js';
export type { OriginateRing } from './originate-wait.js';
export { terminalJson, terminalLine, terminalText } from './terminal-text.js'; // text from the bus, safe for a terminal
export { PARK_AUDIO_MODES } from './park.js';
export type { ParkAudioMode, ParkStatus } from './park.js';
export { channelUuidProblem } from './channel-uuid.js'; // the uuid a command may put on a FreeSWITCH line
export { BAD_CAUSE, hangupCause } from './hangup-cause.js'; // a hangup cause as the agent takes it
