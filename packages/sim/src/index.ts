export { Simulator, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_PASSWORD } from './simulator.js';
export type { SimulatorOptions, SimulatorAddress } from './simulator.js';
export { SimCore, FakeClock, RealClock, DEFAULT_DIALPLAN, cleanupSeparatedString, separateString } from './core/index.js';
export type {
  SimCoreOptions,
  SimClock,
  TimerHandle,
  SimControl,
  GenerateCallsOptions,
  InjectEventsOptions,
  StopHandle,
  EndpointBehavior,
  SofiaGateway,
  SofiaGatewayInfo,
  StaticDialplan,
  DialplanExtension,
  DialplanCondition,
  DialplanAction,
} from './core/index.js';
export type { PlaceInboundCallOptions } from './core/control.js';
export type { CoreEvent, CoreLogLine, CoreMessage, OutboundConnector, OutboundChannel } from './core/types.js';
export { WireControl } from './control/wire-control.js';
export type { WireStatus } from './control/wire-control.js';
export { InboundListener } from './listener/inbound-listener.js';
export type { InboundListenerOptions } from './listener/inbound-listener.js';
export { SocketOutboundConnector } from './outbound/outbound-connector.js';
export { EventHub } from './listener/event-hub.js';
export { DEFAULT_ACL } from './listener/acl.js';
export { SimErrorCode, SimConfigError, SimListenError, SimOutboundConnectError } from './errors.js';
/** @deprecated use SimErrorCode */
export { SimWireErrorCode } from './errors.js';
export {
  DEFAULT_FIRST_COMMAND_TIMEOUT_MS,
  DEFAULT_QUEUE_LIMIT,
  DEFAULT_MAX_MISSED,
} from './listener/types.js';
export type { EslUser, WireCore, WireKnobs, SessionLimits } from './listener/types.js';
