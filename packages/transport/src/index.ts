export { loadDriver, createDriver, defaultBrokerUrl, driverForUrls, driverOfUrl, DRIVER_NAMES } from './load-driver.js';
export { streamRetention } from './stream-retention.js';
export { NKEY_SEED_FORM, nkeySeedProblem } from './nats/nkey-seed.js';
export { natsCredsFileProblem, natsCredsProblem } from './nats/nats-options.js';
export type { StreamRetention } from './stream-retention.js';
export type { DriverFactory } from './load-driver.js';
export { TransportError, TransportErrorCode } from './errors.js';
export { Outbox } from './outbox.js';
export { assertPattern, subjectMatches } from './subject-pattern.js';
export { z85Encode, z85Decode } from './drivers/zmq/z85.js';
export type { OutboxItem } from './outbox.js';
export type {
  Driver,
  DriverAuth,
  DriverCapabilities,
  DriverEvent,
  DriverLogger,
  DriverOptions,
  DriverStats,
  DriverStatus,
  DurableMessage,
  ConsumeDurableOptions,
  GatherOptions,
  InboundMessage,
  Lane,
  MessageHeaders,
  PublishOptions,
  PublishOutcome,
  ReplayFrom,
  RequestOptions,
  RetentionLoss,
  ServeHandler,
  ServeRequest,
  StreamDataLoss,
  StreamSpec,
  Subscription,
  TlsOptions,
  CurveKeys,
} from './driver.js';
export { redact } from './redact.js';
export { cutUserInfo, unencodedUrlProblem } from './url-userinfo.js';
export { brokerUrlProblem } from './broker-url.js';
export { pemCertificatesProblem, tlsVerifyFailure } from './tls-material.js';
export { inboxPrefixProblem, MAX_INBOX_PREFIX_LENGTH } from './nats/inbox-subjects.js';
