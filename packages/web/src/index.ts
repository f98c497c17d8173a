export { startWeb, DEFAULT_WEB_PORT, DEFAULT_WEB_HOST } from './start-web.js';
export type { StartWebOptions, WebServer } from './start-web.js';
export type { BusOptions, DashboardBus } from './bus-port.js';
export { ClientBus } from './client-bus.js';
export { Dashboard } from './dashboard.js';
export type { DashboardOptions } from './dashboard.js';
export { ChannelTable, DEFAULT_MAX_CHANNELS } from './channel-table.js';
export { EventLog, DEFAULT_EVENT_HISTORY, DEFAULT_EVENT_HISTORY_BYTES, MAX_SUMMARY_CHARS } from './event-log.js';
export { CallTimelines, DEFAULT_TIMELINE_BYTES, DEFAULT_TIMELINE_EVENTS } from './call-timelines.js';
export type { CallTimeline } from './call-timelines.js';
export { MAX_FIELD_CHARS, MAX_UUID_LENGTH } from './text-caps.js';
export { RateSeries, DEFAULT_RATE_WINDOW_S, isNewCall } from './rate-series.js';
export { parkFrom } from './park.js';
export { AuthGate, isLoopback } from './auth.js';
export type { WebAuth } from './auth.js';
export { buildApp, writeApp, loadAssets, defaultStaticDir, APP_DIR, STATIC_DIR } from './assets.js';
export { parseCommand, runCommand } from './commands.js';
export { DEFAULT_MAX_PENDING_ORIGINATES, ENDED_ORIGINATES_KEPT } from './originates.js';
export { CONTROL_HEADER } from './http-server.js';
export { WebError, WebErrorCode } from './errors.js';
export { PAGE_APPS, PAGE_COMMANDS, PAGE_EXECUTE_FIELDS, PAGE_FIELDS, PAGE_ORIGINATE_FIELDS } from './protocol.js';
export { HostGuard } from './host-guard.js';
export type { HostGuardOptions } from './host-guard.js';
export type {
  BusState,
  ChannelView,
  CommandRequest,
  CommandResult,
  DegradedView,
  EventDetail,
  EventView,
  NodeView,
  OriginateView,
  ParkView,
  RatePoint,
  Snapshot,
  SyncErrorView,
  Update,
} from './protocol.js';
export { parseShowChannels, readShowChannels } from './show-channels.js';
export type { ShowChannelsListing } from './show-channels.js';
