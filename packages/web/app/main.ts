/**
 * The dashboard page: one EventSource to the server (snapshot, then batched updates), redrawn
 * at most once per animation frame. EventSource reconnects by itself when the server restarts;
 * the header says so meanwhile.
 */
import type { Snapshot, Update } from '../src/protocol.js';
import { streamAccess, whenSignedOut } from './api.js';
import { $ } from './dom.js';
import { Store } from './store.js';
import { renderCharts } from './views/charts.js';
import { initChannels, renderChannels, tickDurations } from './views/channels.js';
import { initControls } from './views/controls.js';
import { appendEvents, initEvents, renderAllEvents } from './views/events.js';
import { renderNodes } from './views/nodes.js';
import { initOriginates, renderOriginates, tickOriginates } from './views/originates.js';

const store = new Store();
type Part = 'nodes' | 'channels' | 'charts' | 'header' | 'originates';
let dirty: Record<Part, boolean> = { nodes: false, channels: false, charts: false, header: false, originates: false };
let frame = 0;

/**
 * Marks parts to redraw on the next frame. A part stays marked until drawn: several updates
 * can arrive within one frame, and one that does not touch the channels must not unmark them.
 */
function schedule(part: Partial<Record<Part, boolean>>): void {
  for (const [k, v] of Object.entries(part) as Array<[Part, boolean]>) if (v) dirty[k] = true;
  if (frame === 0) frame = requestAnimationFrame(draw);
}

function draw(): void {
  frame = 0;
  const d = dirty;
  dirty = { nodes: false, channels: false, charts: false, header: false, originates: false };
  if (d.header) renderHeader();
  if (d.originates) renderOriginates(store);
  if (d.nodes) renderNodes(store);
  if (d.channels) renderChannels(store);
  if (d.charts) renderCharts(store);
}

function renderHeader(): void {
  const bus = $('bus-state');
  bus.dataset['state'] = store.bus;
  // While the bus is away the cards and the table show the last known state: dimmed.
  document.body.dataset['bus'] = store.bus;
  bus.textContent = `bus: ${store.bus}`;
  $('bus-reconnects').textContent = `reconnects: ${store.busReconnects}`;
  // Until the server's first status poll ended, nodes and channels are unknown, not none.
  const pending = store.firstPollPending;
  $('first-poll').hidden = !pending;
  // Degraded nodes (busy, shutting down) answer: they count; offline ones do not, and their calls
  // (stale: they may have ended unseen) are counted apart, so the two totals agree.
  const offline = new Set([...store.nodes.values()].filter((n) => n.presence === 'offline').map((n) => n.node_id));
  $('total-nodes').textContent = pending ? '…' : String(store.nodes.size - offline.size);
  $('total-channels').textContent = pending ? '…' : String(store.channels.size);
  let stale = 0;
  if (offline.size > 0) for (const c of store.channels.values()) if (offline.has(c.node_id)) stale++;
  const staleEl = $('total-channels-stale');
  staleEl.hidden = pending || stale === 0;
  staleEl.textContent = stale === 0 ? '' : `(${stale} on offline nodes)`;
}

type ServerState = 'connecting' | 'live' | 'reconnecting' | 'signed-out';

function serverState(state: ServerState): void {
  const el = $('server-state');
  el.dataset['state'] = state;
  el.textContent = state === 'signed-out' ? 'server: signed out — open /?token=<token> again' : `server: ${state}`;
  document.body.dataset['server'] = state;
}

function connect(): void {
  const source = new EventSource('/api/stream');
  source.addEventListener('snapshot', (ev) => {
    store.load(JSON.parse((ev as MessageEvent<string>).data) as Snapshot);
    serverState('live');
    renderAllEvents(store);
    schedule({ nodes: true, channels: true, charts: true, header: true, originates: true });
  });
  source.addEventListener('update', (ev) => {
    const u = JSON.parse((ev as MessageEvent<string>).data) as Update;
    // The cards count channels: only a new or removed call changes a count, not a state change.
    const counted = (u.removes?.length ?? 0) > 0 || (u.upserts ?? []).some((c) => !store.channels.has(c.uuid));
    // A node going offline, its FreeSWITCH down or its events stalled (or any back), greys (or restores) its calls' rows.
    const staleChanged = (u.nodes ?? []).some((n) => {
      const before = store.nodes.get(n.node_id);
      return (n.presence === 'offline') !== (before?.presence === 'offline') || n.esl_down_since !== before?.esl_down_since || n.events_stalled_since !== before?.events_stalled_since;
    });
    store.apply(u);
    if (u.events !== undefined) appendEvents(u.events);
    schedule({
      header: true,
      nodes: u.nodes !== undefined || u.nodes_removed !== undefined || counted,
      channels: u.upserts !== undefined || u.removes !== undefined || u.table !== undefined || staleChanged,
      charts: u.rates !== undefined,
      originates: u.originates !== undefined || u.originates_removed !== undefined,
    });
  });
  // EventSource retries on its own (the server asks for 1 s); the page only says so.
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED) {
      serverState('reconnecting');
      return;
    }
    // A refused reconnect (an HTTP error, not a dropped socket) ends EventSource's own retries,
    // and EventSource does not say which error: a 401 means this session is no longer accepted
    // (the token changed). The page keeps trying, so a sign-in in another tab brings it back.
    void streamAccess().then((access) => {
      serverState(access === 'signed-out' ? 'signed-out' : 'reconnecting');
      setTimeout(connect, 2000);
    });
  });
  source.addEventListener('open', () => serverState('live'));
}

whenSignedOut(() => serverState('signed-out'));
initChannels(store);
initEvents(store);
initOriginates(store);
initControls(store);
connect();
setInterval(() => {
  tickDurations(store);
  tickOriginates(store);
  schedule({ nodes: true });
}, 1000);
