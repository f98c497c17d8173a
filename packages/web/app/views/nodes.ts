/** One card per agent: links, readiness, uptime, counters, park mode and its controls. */
import type { NodeView } from '../../src/protocol.js';
import { command } from '../api.js';
import { $, duration, h } from '../dom.js';
import type { Store } from '../store.js';
import { showResult } from './result.js';

type Rec = Record<string, unknown>;

const obj = (v: unknown): Rec => (typeof v === 'object' && v !== null ? (v as Rec) : {});
const num = (v: unknown): string => (typeof v === 'number' ? v.toLocaleString() : '–');
const text = (v: unknown): string => (typeof v === 'string' ? v : '–');

const FIELDS = ['broker', 'FreeSWITCH', 'ready', 'uptime', 'channels', 'requests', 'events', 'reconnects', 'park'] as const;
type Field = (typeof FIELDS)[number];
const CLASSES: Record<Field, string> = {
  broker: 'broker-state',
  FreeSWITCH: 'esl-state',
  ready: 'node-ready',
  uptime: 'uptime',
  channels: 'node-channels',
  requests: 'node-requests',
  events: 'node-events',
  reconnects: 'node-reconnects',
  park: 'park-state',
};

interface Card {
  root: HTMLElement;
  badge: HTMLElement;
  /** Off the shared lanes (cordoned, or leaving, joining, left): hidden while it serves them, or not told. */
  lanes: HTMLElement;
  dd: Record<Field, HTMLElement>;
  toggle: HTMLButtonElement;
  audio: HTMLSelectElement;
  /** Why the node's channel list could not be read (hidden while it can). */
  syncError: HTMLElement;
  /** The error the node answers agent.status with while degraded (hidden otherwise). */
  degraded: HTMLElement;
  /** While offline: since when, and when it was last seen (hidden otherwise). */
  offline: HTMLElement;
  /** While its FreeSWITCH sends no event (events_stalled_since): since when (hidden otherwise). */
  stalled: HTMLElement;
  /** The other agents of its FreeSWITCH (same_freeswitch; hidden while none). */
  sameFs: HTMLElement;
  node: NodeView;
  /** The server's park audio when the user picked another in the select: kept until sent or the server's changes. */
  pickedOver: string | undefined;
}

/** Cards are kept and updated in place, so a control being used is not replaced under the pointer. */
const cards = new Map<string, Card>();
const WAITING = 'waiting for agents to answer agent.status…';
/** After a poll ended with no answer: what to check, as an empty panel says nothing. */
const NONE = 'no agent answered agent.status: none runs on this bus with this subject prefix (asked again every poll)';

export function renderNodes(store: Store): void {
  const box = $('nodes');
  const nodes = [...store.nodes.values()].sort((a, b) => a.node_id.localeCompare(b.node_id));
  const live = new Set(nodes.map((n) => n.node_id));
  for (const id of [...cards.keys()]) if (!live.has(id)) cards.delete(id);
  // Channels per node, counted once per render.
  const counts = new Map<string, number>();
  for (const ch of store.channels.values()) counts.set(ch.node_id, (counts.get(ch.node_id) ?? 0) + 1);
  const list = nodes.map((n) => {
    const c = cards.get(n.node_id) ?? makeCard(n);
    cards.set(n.node_id, c);
    fill(c, n, counts.get(n.node_id) ?? 0, store);
    return c.root;
  });
  if (list.length === 0) {
    // No agent known (e.g. a restarted dashboard whose agents are gone): no stale cards.
    const text = store.firstPollPending ? WAITING : NONE;
    const empty = box.querySelector('p.empty');
    if (empty === null || box.querySelector('article.card') !== null) box.replaceChildren(h('p', { class: 'empty' }, text));
    else if (empty.textContent !== text) empty.textContent = text;
  } else if (list.length !== box.childElementCount || list.some((el, i) => box.children[i] !== el)) {
    box.replaceChildren(...list);
  }
  const select = $('originate-node') as HTMLSelectElement;
  const ids = nodes.map((n) => n.node_id);
  const shown = [...select.options].slice(1).map((o) => o.value);
  if (ids.join() !== shown.join()) {
    const chosen = select.value;
    select.replaceChildren(h('option', { value: '' }, 'any (api lane)'), ...ids.map((id) => h('option', { value: id }, id)));
    select.value = ids.includes(chosen) ? chosen : '';
  }
}

function makeCard(n: NodeView): Card {
  const id = n.node_id;
  const toggle = h('button', { type: 'button', class: 'park-toggle', 'data-node': id, 'aria-label': `Park on ${id}` }, 'Park on');
  const audio = h('select', { class: 'park-audio', 'aria-label': `park audio of ${id}` }, ...['silence', 'ringback', 'music'].map((m) => h('option', { value: m }, m)));
  const setAudio = h('button', { type: 'button', class: 'park-audio-set', 'aria-label': `Set park audio of ${id}` }, 'Set audio');
  const badge = h('span', { class: 'badge presence' });
  const lanes = h('span', { class: 'badge lanes' });
  lanes.hidden = true;
  const dd = Object.fromEntries(FIELDS.map((f) => [f, h('dd', { class: CLASSES[f] })])) as Record<Field, HTMLElement>;
  const dl = h('dl', {}, ...FIELDS.flatMap((f) => [h('dt', {}, f), dd[f]]));
  const syncError = h('p', { class: 'sync-error', role: 'status' });
  syncError.hidden = true;
  const degraded = h('p', { class: 'degraded', role: 'status' });
  degraded.hidden = true;
  const offline = h('p', { class: 'offline-since', role: 'status' });
  offline.hidden = true;
  const stalled = h('p', { class: 'events-stalled', role: 'status' });
  stalled.hidden = true;
  const sameFs = h('p', { class: 'same-freeswitch', role: 'status' });
  sameFs.hidden = true;
  const root = h(
    'article',
    { class: 'card', 'data-node': id },
    h('header', {}, h('h3', {}, id), h('span', { class: 'badges' }, lanes, badge)),
    offline,
    stalled,
    sameFs,
    dl,
    degraded,
    syncError,
    h('footer', {}, toggle, audio, setAudio),
  );
  const card: Card = { root, badge, lanes, dd, toggle, audio, syncError, degraded, offline, stalled, sameFs, node: n, pickedOver: undefined };
  toggle.addEventListener('click', () => {
    const cmd = card.node.park.enabled === true ? 'dialplan.disable' : 'dialplan.enable';
    void command({ command: cmd, node_id: id }).then((r) => showResult(`${cmd} ${id}`, r));
  });
  audio.addEventListener('change', () => {
    card.pickedOver = card.node.park.audio ?? '';
  });
  setAudio.addEventListener('click', () => {
    const mode = audio.value;
    const body: Rec = { command: 'dialplan.audio', node_id: id, mode };
    if (mode === 'music') body['music_class'] = 'moh';
    void command(body).then((r) => {
      // Sent: the select follows the server again (a failure shows the server's value at once).
      if (!r.success) card.pickedOver = undefined;
      showResult(`dialplan.audio ${mode} ${id}`, r);
    });
  });
  return card;
}

/** The badge: online, offline, or why degraded (busy, stopping). */
function badgeText(n: NodeView): string {
  if (n.presence !== 'degraded') return n.presence;
  const code = n.degraded?.code;
  return code === 'FSBUS_ERR_BUS_BUSY' ? 'busy' : code === 'FSBUS_ERR_BUS_SHUTTING_DOWN' ? 'stopping' : 'degraded';
}

/**
 * The shared-lanes badge (agent.status `shared_lanes`): `cordoned` (agent.cordon), or the lanes'
 * state while not `joined`; none while joined or not told (an agent without shared lanes).
 */
function lanesBadge(s: Rec): { state: string; text: string; title: string } | undefined {
  const lanes = obj(s['shared_lanes']);
  const state = lanes['state'];
  if (lanes['cordoned'] === true) {
    return { state: 'cordoned', text: 'cordoned', title: 'cordoned (agent.cordon): off the shared lanes, takes no request sent to any node; its own lane still served — agent.uncordon to undo' };
  }
  if (typeof state !== 'string' || state === 'joined') return undefined;
  const text = state === 'left' ? 'off shared lanes' : `${state} shared lanes`;
  return { state, text, title: `shared lanes ${state}: takes no request sent to any node (it joins them while FreeSWITCH is ready)` };
}

/**
 * Readiness (agent.status `ready`, `not_ready_reason`: what the node's /readyz says). An agent
 * that does not tell it (older than the field) shows "–", never "not ready".
 */
function readiness(s: Rec): { state: 'ready' | 'not-ready' | 'unknown'; text: string; title: string } {
  const ready = s['ready'];
  if (ready === true) return { state: 'ready', text: 'ready', title: '' };
  if (ready !== false) return { state: 'unknown', text: '–', title: '' };
  const reason = s['not_ready_reason'];
  return typeof reason === 'string' ? { state: 'not-ready', text: `not ready: ${reason}`, title: reason } : { state: 'not-ready', text: 'not ready', title: '' };
}

function set(el: HTMLElement, value: string, attr?: [string, string]): void {
  if (el.textContent !== value) el.textContent = value;
  if (attr !== undefined && el.getAttribute(attr[0]) !== attr[1]) el.setAttribute(attr[0], attr[1]);
}

function fill(card: Card, n: NodeView, channels: number, store: Store): void {
  card.node = n;
  const s = n.status;
  const broker = obj(s['broker']);
  const esl = obj(s['esl']);
  const c = obj(s['counters']);
  const eslState = text(esl['status']);
  const brokerState = text(broker['status']);
  const linksUp = n.presence === 'online' && brokerState === 'connected' && eslState === 'ready';
  const offLanes = lanesBadge(s);
  const ready = readiness(s);
  // Cordoned (or between leave and join) with its links up: amber, not the green of a node taking its share.
  // Links up but not ready (e.g. FreeSWITCH refusing the event subscription): not green either.
  const look = !linksUp ? 'unhealthy' : offLanes !== undefined ? 'off-lanes' : ready.state === 'not-ready' ? 'unhealthy' : 'healthy';
  const uptime = typeof s['uptime'] === 'number' ? duration(s['uptime'] * 1000 + (n.presence === 'online' ? store.now() - n.last_seen : 0)) : '–';
  const park = n.park;
  const parkState = !park.available ? 'unavailable' : park.enabled === true ? 'on' : 'off';
  const parkText = parkState !== 'on' ? parkState : `on${park.audio === undefined ? '' : ` · ${park.audio}`}${park.auto_answer === true ? ' · auto-answer' : ''}`;

  const className = `card ${look}`;
  if (card.root.className !== className) card.root.className = className;
  card.root.dataset['presence'] = n.presence;
  card.badge.dataset['state'] = n.presence;
  set(card.badge, badgeText(n));
  card.lanes.hidden = offLanes === undefined;
  if (offLanes !== undefined) {
    set(card.lanes, offLanes.text, ['data-state', offLanes.state]);
    if (card.lanes.title !== offLanes.title) card.lanes.title = offLanes.title;
  }
  // Alive but not telling its status: what it answered instead; the fields below are its last status.
  const why = n.presence === 'degraded' ? n.degraded : undefined;
  card.degraded.hidden = why === undefined;
  if (why !== undefined) set(card.degraded, `answers agent.status with ${why.code}: ${why.message} (last status shown)`, ['data-code', why.code]);
  set(card.toggle, park.enabled === true ? 'Park off' : 'Park on');
  card.toggle.setAttribute('aria-label', `${card.toggle.textContent ?? ''} ${n.node_id}`);
  // A pick not sent yet stays, until the server's own value changes.
  if (card.pickedOver !== undefined && card.pickedOver !== (park.audio ?? '')) card.pickedOver = undefined;
  if (park.audio !== undefined && card.pickedOver === undefined && document.activeElement !== card.audio && card.audio.value !== park.audio) card.audio.value = park.audio;
  const { dd } = card;
  set(dd.broker, `${brokerState} (${text(s['driver'])})`, ['data-state', brokerState]);
  set(dd.FreeSWITCH, eslState, ['data-state', eslState]);
  // The reason is the node's text: textContent and title, never markup.
  set(dd.ready, ready.text, ['data-state', ready.state]);
  if (dd.ready.title !== ready.title) dd.ready.title = ready.title;
  set(dd.uptime, uptime);
  set(dd.channels, String(channels));
  set(dd.requests, `${num(c['requests_ok'])} ok · ${num(c['requests_failed'])} failed`);
  set(dd.events, `${num(c['events_published'])} published · ${num(c['events_dropped'])} dropped`);
  set(dd.reconnects, num(c['reconnects']));
  set(dd.park, parkText, ['data-park', parkState]);
  lastKnown(card, n, store);
  warnings(card, n, store);
  if (dd.park.title !== (park.error ?? '')) dd.park.title = park.error ?? '';
  // Its channels may be stale: the list could not be read (e.g. larger than the broker carries).
  const e = n.sync_error;
  card.syncError.hidden = e === undefined;
  if (e !== undefined) {
    const retry = new Date(e.retry_at).toLocaleTimeString();
    set(card.syncError, `channels may be stale: ${e.message} (${e.attempts} ${e.attempts === 1 ? 'attempt' : 'attempts'}, next at ${retry})`, ['data-code', e.code ?? '']);
  }
}

/**
 * Events stalled: since when none came from its FreeSWITCH (its calls shown stale). Two agents
 * on one FreeSWITCH: which others (its events come once per agent, its calls under one of them).
 */
function warnings(card: Card, n: NodeView, store: Store): void {
  const since = n.events_stalled_since;
  card.stalled.hidden = since === undefined;
  if (since !== undefined) {
    set(card.stalled, `no FreeSWITCH events since ${new Date(since).toLocaleTimeString()} (${duration(store.now() - since)}): events stalled, its calls may have ended unseen`);
  }
  const same = n.same_freeswitch;
  card.sameFs.hidden = same === undefined;
  if (same !== undefined) {
    const others = same.nodes.join(', ');
    set(
      card.sameFs,
      `same FreeSWITCH as ${others} (Core-UUID ${same.core_uuid}): two agents on one Event Socket, every event of it comes once per agent and its calls are listed under one of them`,
      ['data-nodes', others],
    );
  }
}

/** Link states and readiness shown as current only while the node answers. */
const LAST_KNOWN: readonly Field[] = ['broker', 'FreeSWITCH', 'ready'];

/**
 * Offline: since when, and when it was last seen; its link states and readiness are the last it
 * told, marked so (greyed and struck), not shown green as if current.
 */
function lastKnown(card: Card, n: NodeView, store: Store): void {
  const offline = n.presence === 'offline';
  card.offline.hidden = !offline;
  if (offline) {
    const since = n.offline_since ?? n.last_seen;
    const at = (ms: number): string => new Date(ms).toLocaleTimeString();
    set(card.offline, `offline since ${at(since)} (${duration(store.now() - since)} ago) · last seen ${at(n.last_seen)}: last known status below`);
  }
  for (const f of LAST_KNOWN) {
    const dd = card.dd[f];
    if (offline) {
      dd.setAttribute('data-last-known', 'true');
      dd.title = `last known, from before it went offline${f === 'ready' && dd.title !== '' && !dd.title.startsWith('last known') ? `: ${dd.title}` : ''}`;
    } else if (dd.hasAttribute('data-last-known')) {
      dd.removeAttribute('data-last-known');
      if (f !== 'ready') dd.title = '';
    }
  }
}
