/**
 * What the dashboard server sends the page (Server-Sent Events) and what the page posts back.
 * Shared by the server (src/) and the browser app (app/), types only.
 */

/** The bus link as the server sees it. */
export type BusState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** One node card: the last `agent.status` reply, plus what the dashboard knows about park mode. */
export interface NodeView {
  node_id: string;
  /**
   * `online` while it answers the status poll with its status; `degraded` while it answers with an
   * error envelope instead (busy: max_in_flight reached; shutting down): alive, its card keeps
   * the last status it gave, `degraded` says why; `offline` after it missed two polls in a row.
   * A node offline for the retention (10 min by default) is removed (`Update.nodes_removed`).
   */
  presence: 'online' | 'degraded' | 'offline';
  /** While `degraded`: the error the node answered agent.status with. */
  degraded?: DegradedView;
  /** Wall-clock ms of the last reply (while `offline`: when it was last heard of). */
  last_seen: number;
  /**
   * While `offline`: wall-clock ms (the dashboard's clock, as `last_seen`) it was marked offline
   * (its second missed poll, or its goodbye); the retention counts from it. Its `status` is then
   * the last one it gave, not its state now.
   */
  offline_since?: number;
  /** What the card shows of the agent.status reply's `data` (node-status.ts: known fields, texts capped). */
  status: Record<string, unknown>;
  /** Park mode: from agent.status `park`, refreshed by `dialplan.status` after each park command. */
  park: ParkView;
  /**
   * Wall-clock ms (the dashboard's clock, as `last_seen`) of the first status that told the node's
   * FreeSWITCH not ready (`status.esl.status` other than `ready`: its agent's Event Socket link is
   * down); kept once it is ready again until the node's channels were read since, absent otherwise
   * or when not told. Its channels stay listed, as an offline node's: FreeSWITCH may have ended
   * them unseen, so the page shows them stale from this time until the node's channels are read
   * again once FreeSWITCH is back.
   */
  esl_down_since?: number;
  /**
   * Present while the dashboard cannot read the node's channels (`show channels`): its channel
   * list may be stale (ended calls kept, new ones missing). Gone after the next read that works.
   */
  sync_error?: SyncErrorView;
  /**
   * Wall-clock ms (the dashboard's clock, as `last_seen`) of the last FreeSWITCH event known from
   * the node — its agent's `counters.events_received` last rose, or one came over the bus — while
   * none came for longer than the dashboard's `eventStallMs` (2.5 HEARTBEAT intervals by default)
   * though the node answers and its FreeSWITCH is ready: events stalled, so its calls may have
   * ended unseen (the page shows them stale from this time). Gone with the next event; the node's
   * channels are then read again.
   */
  events_stalled_since?: number;
  /**
   * Other nodes (online or degraded) whose events carry the same FreeSWITCH Core-UUID: two agents
   * on one FreeSWITCH (a misconfiguration): every event of it comes once per agent, and its calls
   * are listed under whichever node read or told of them last. At most 10 node ids, sorted.
   */
  same_freeswitch?: SameFreeswitchView;
}

/** The other agents of one FreeSWITCH (see NodeView.same_freeswitch). */
export interface SameFreeswitchView {
  /** FreeSWITCH's Core-UUID, as its events carry it (cut to 128 characters). */
  core_uuid: string;
  nodes: string[];
}

/** The error envelope a node answered the status poll with (code and message cut, as the card shows them). */
export interface DegradedView {
  /** The contract's code: FSBUS_ERR_BUS_BUSY, FSBUS_ERR_BUS_SHUTTING_DOWN, … */
  code: string;
  message: string;
}

/** Why a node's channel list could not be read, and when the dashboard tries again. */
export interface SyncErrorView {
  /** One line for the user, the bus error's message included. */
  message: string;
  /** The contract's code (e.g. FSBUS_ERR_BUS_REPLY_TOO_LARGE), when the node answered with one. */
  code?: string;
  /** Wall-clock ms of the first failure of this run. */
  since: number;
  /** Failed reads in a row. */
  attempts: number;
  /** Wall-clock ms of the next attempt (backoff: 5 s doubling up to 5 min). */
  retry_at: number;
}

export interface ParkView {
  /** false when the node's agent has no park mode (no dialplan.* commands, or not configured). */
  available: boolean;
  enabled?: boolean;
  audio?: string;
  music_class?: string;
  auto_answer?: boolean;
  /** Why park mode is unavailable (the contract's message and code), when known. */
  error?: string;
}

/** One live channel, kept from events (and `show channels as json` on (re)connect). */
export interface ChannelView {
  uuid: string;
  node_id: string;
  direction: string;
  caller: string;
  destination: string;
  name: string;
  /** Channel-Call-State (RINGING, ACTIVE, HELD…) or Answer-State. */
  state: string;
  /** Last application executed. */
  application: string;
  /** Wall-clock ms the channel was created. */
  created: number;
  answered?: number;
}

/** One event, summarised; the headers come from GET /api/events/<id>. */
export interface EventView {
  id: number;
  name: string;
  node_id: string;
  uuid?: string;
  /** µs since the epoch (Event-Date-Timestamp). */
  timestamp: number;
  /** A short human line: channel name, application, cause… */
  summary: string;
}

export interface EventDetail extends EventView {
  headers: Record<string, string>;
  body?: string;
}

/** Per-second counters: `calls` counts new calls (A-legs), `events` every event. */
export interface RatePoint {
  /** Start of the second, ms since the epoch. */
  t: number;
  calls: number;
  events: number;
}

/** The channel table's bound, and the live channels dropped so far because it was full. */
export interface TableView {
  max: number;
  evicted: number;
}

/** The first message of every stream connection: everything the page needs to draw. */
export interface Snapshot {
  bus: BusState;
  bus_reconnects: number;
  /**
   * No status poll has ended yet (a dashboard just started, or its bus never reached): `nodes` and
   * `channels` are not known yet, not empty. An update's `first_poll_pending: false` ends it.
   */
  first_poll_pending: boolean;
  nodes: NodeView[];
  channels: ChannelView[];
  table: TableView;
  events: EventView[];
  rates: RatePoint[];
  /** Originates sent from the dashboard: every one still ringing, and the last ones that ended. */
  originates: OriginateView[];
  /** The server's clock, so durations on the page do not depend on the browser's. */
  now: number;
}

/** What follows the snapshot, batched (one SSE message per flush). */
export interface Update {
  events?: EventView[];
  upserts?: ChannelView[];
  removes?: string[];
  nodes?: NodeView[];
  /** Nodes the dashboard forgot (offline for the retention, or dropped from a full node map): their cards go. */
  nodes_removed?: string[];
  /** Seconds that just closed, and earlier ones amended by late events (counted by their own timestamp). */
  rates?: RatePoint[];
  bus?: { state: BusState; reconnects: number };
  /** Sent once, when the first status poll ended (see Snapshot.first_poll_pending). */
  first_poll_pending?: false;
  /** Sent when the full table dropped channels. */
  table?: TableView;
  /** Originates sent, or ended, since the last update (replace the page's item of that uuid). */
  originates?: OriginateView[];
  /** Ended originates the dashboard no longer keeps (newer ones ended): their items go. */
  originates_removed?: string[];
}

/**
 * One originate sent from a page: it rings in the background (up to a minute), so the control
 * answers at once with this view (`ringing`) and the stream brings its outcome.
 */
export interface OriginateView {
  /** The uuid the dashboard chose for the call (origination_uuid): its channel's, known while it rings. */
  uuid: string;
  /** The node asked; absent when sent to the api lane (any node: `result.node_id` tells which answered). */
  node_id?: string;
  endpoint: string;
  extension: string;
  context?: string;
  caller_id_number?: string;
  /** `ringing` until the request's reply: `answered` (the far end took the call) or `failed`. */
  state: 'ringing' | 'answered' | 'failed';
  /** Server wall-clock ms it was sent. */
  started: number;
  /** Server wall-clock ms its reply came. */
  ended?: number;
  /** FreeSWITCH's hangup cause of a failed originate (NO_ANSWER, USER_BUSY, ORIGINATOR_CANCEL…). */
  cause?: string;
  /** The reply, as any control's (its `data` cut to the originate's own fields), once it came. */
  result?: CommandResult;
}

/** POST /api/command body: a contract request, sent to one node (or the api lane when absent). */
export interface CommandRequest {
  node_id?: string;
  command: string;
  [field: string]: unknown;
}

/** The reply the page shows: the contract's envelope, or the dashboard's own error. */
export interface CommandResult {
  success: boolean;
  message: string;
  code?: string;
  node_id?: string;
  data?: unknown;
}

/** Applications `execute_app` may run from the page: the row's **play** button. */
export const PAGE_APPS = ['playback'] as const;

/**
 * Fields the page's originate form sends. Anything else stays out: channel variables such as
 * `execute_on_answer` or `api_on_answer` would run any application or API on the new call.
 */
export const PAGE_ORIGINATE_FIELDS = ['endpoint', 'extension', 'context', 'caller_id_number', 'caller_id_name'] as const;

/** Fields of the page's **play** button: no `variables` (a hangup hook such as `api_hangup_hook` runs any API). */
export const PAGE_EXECUTE_FIELDS = ['uuid', 'app', 'args'] as const;

/**
 * Every field each page command may carry besides `command` (`node_id` is the target). Envelope
 * fields stay out too: `forward_to` would have the agent copy its reply to any subject, `async`
 * would turn a control into fire-and-forget.
 */
export const PAGE_FIELDS: Readonly<Record<(typeof PAGE_COMMANDS)[number], readonly string[]>> = {
  originate: PAGE_ORIGINATE_FIELDS,
  hangup: ['uuid', 'cause'],
  execute_app: PAGE_EXECUTE_FIELDS,
  'agent.status': [],
  'dialplan.enable': [],
  'dialplan.disable': [],
  'dialplan.audio': ['mode', 'music_class'],
  'dialplan.autoanswer': ['enabled'],
  'dialplan.status': [],
  'dialplan.timeout': ['seconds'],
};

/** Commands the page may send: the controls of the dashboard, nothing else. */
export const PAGE_COMMANDS = [
  'originate',
  'hangup',
  'execute_app',
  'agent.status',
  'dialplan.enable',
  'dialplan.disable',
  'dialplan.audio',
  'dialplan.autoanswer',
  'dialplan.status',
  'dialplan.timeout',
] as const;
