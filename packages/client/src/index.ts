export { connect, FsbusClient, serverList } from './client.js';
export { BusCommands } from './commands.js';
export type { DialplanCommands, EventsOpener } from './commands.js';
export { ClientError, ClientErrorCode, originateFailureCause, placedCallUuid, ReplyError } from './errors.js';
export { FsbusError } from '@fsbus/esl';
export type { HangupCause } from '@fsbus/esl';
export { BusEvent, decodeEvent, subjectMatches } from './event.js';
export type { EventPattern, EventTopicName } from './event.js';
export { EventStream } from './event-stream.js';
export { BROADCAST_LEGS, TRANSFER_LEGS } from './call-args.js';
export type { BroadcastLeg, BroadcastOptions, RecordOptions, TransferLeg, TransferOptions } from './call-args.js';
export type { EventWait, WaitForOptions } from './wait-for.js';
export { eventSubject, defaultStreamName } from './events.js';
export { DEFAULT_COMPLETE_TIMEOUT_MS } from './execute-complete.js';
export { MAX_EVENT_SUBJECT_BYTES, MAX_STREAM_NAME_BYTES, nodeOption, streamNameOption } from './validate.js';
export { DEFAULT_TIMEOUT_MS, DEFAULT_LONG_TIMEOUT_MS, DEFAULT_SERVER, DEFAULT_EVENT_BUFFER } from './types.js';
export type {
  AgentStatus,
  BadReply,
  CallOptions,
  ConnectOptions,
  EventsOptions,
  ExecuteAppOptions,
  ExecuteAppResult,
  GatherOptions,
  GatherResult,
  MalformedEvent,
  OriginateOptions,
  OriginateResult,
  ParkAudioMode,
  ParkStatus,
  Reply,
  StatusAllResult,
  StreamGap,
  StreamLoss,
} from './types.js';
