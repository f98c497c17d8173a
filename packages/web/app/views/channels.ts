/**
 * Live channels: one row per channel (keyed by uuid, updated in place) for the newest
 * MAX_TABLE_ROWS calls matching the filter box, and per-call controls.
 *
 * Rows never move under the user's pointer: while the pointer moves over the table (or a control
 * in it has keyboard focus), new calls are held back, ended calls stay (greyed, controls off) and
 * nothing is re-sorted; all of it is applied when the pointer leaves or rests for HOLD_IDLE_MS.
 * A control reads its call from its own row when clicked, and a mouse click on a row other than
 * the one the pointer last moved onto (the table changed under a resting pointer) sends nothing.
 *
 * A call of a node shown offline is stale: its node may have ended it unseen. Its row is greyed,
 * its duration stops at the node's last answer, and hangup and playback are off until the node
 * answers again (or is forgotten with its calls). So is a call of a node whose FreeSWITCH is not
 * ready (`esl_down_since`: the agent answers, its Event Socket link is down), from that time until
 * FreeSWITCH is back and its channels are read again. And a call of a node whose FreeSWITCH sent
 * no event for longer than the dashboard's bound (`events_stalled_since`), from its last event
 * until events come again: greyed and its duration stopped, but hangup and playback stay on (the
 * node answers, and FreeSWITCH may take commands while its events are stuck).
 */
import type { ChannelView, NodeView } from '../../src/protocol.js';
import { command } from '../api.js';
import { $, duration, h } from '../dom.js';
import type { Store } from '../store.js';
import { showResult } from './result.js';
import { openTimeline } from './timeline.js';

/** What playback plays from the dashboard: a tone every FreeSWITCH has, no sound files needed. */
const PLAYBACK = 'tone_stream://%(400,200,440,480);loops=2';
/** A pointer resting this long on the table no longer holds it (a wall screen's idle cursor). */
const HOLD_IDLE_MS = 10_000;
/**
 * Rows in the table at most: the newest calls matching the filter. Every row added or removed
 * lays out and repaints the whole table, so at 1,000 channels and 10 calls a second the table
 * alone kept the page's main thread a third busy; nobody reads a thousand rows, the filter finds
 * any call.
 */
const MAX_TABLE_ROWS = 200;

interface Row {
  tr: HTMLTableRowElement;
  node: HTMLElement;
  route: HTMLElement;
  state: HTMLElement;
  duration: HTMLElement;
  app: HTMLElement;
  buttons: HTMLButtonElement[];
  /** Classes of its buttons whose command has not answered yet: off, so it is not sent twice. */
  pending: Set<string>;
  view: ChannelView;
  ended: boolean;
  /** Since when its call may have ended unseen (wall-clock ms), and why; undefined while its node can tell. */
  stale: Stale | undefined;
}

/** Why a row is stale: its node `offline`, the node's `freeswitch` not ready, or its `events` stalled; `at` stops its duration. */
interface Stale {
  at: number;
  why: 'offline' | 'freeswitch' | 'events';
}

/** Hangup and playback need the call's node to answer; the timeline is the page's own. */
const NEEDS_NODE = new Set(['hangup', 'playback']);
const UNSEEN = 'this call may have ended without a word';

/**
 * Offline: since the node's last answer (or its FreeSWITCH's going down, if earlier); else since
 * its FreeSWITCH was told not ready; else since its FreeSWITCH's last event, while they stalled;
 * else not stale.
 */
function staleOf(node: NodeView | undefined): Stale | undefined {
  if (node === undefined) return undefined;
  const down = node.esl_down_since;
  if (node.presence === 'offline') return { at: down === undefined ? node.last_seen : Math.min(down, node.last_seen), why: 'offline' };
  if (down !== undefined) return { at: down, why: 'freeswitch' };
  const stalled = node.events_stalled_since;
  return stalled === undefined ? undefined : { at: stalled, why: 'events' };
}

function staleTitle(stale: Stale): string {
  if (stale.why === 'offline') return `its node is offline: ${UNSEEN}`;
  if (stale.why === 'events') return `no FreeSWITCH events from its node since ${new Date(stale.at).toLocaleTimeString()} (events stalled): ${UNSEEN}`;
  return `FreeSWITCH unreachable since ${new Date(stale.at).toLocaleTimeString()} (its agent's Event Socket link is down): ${UNSEEN}`;
}

/** The rows shown, by uuid. */
const rows = new Map<string, Row>();
/**
 * Rows on screen (or about to be): only their durations tick. Every row's text changing each
 * second made the browser lay out and repaint the whole table: at 1,000 channels most of the
 * page's main thread.
 */
const onScreen = new Set<Row>();
const rowOfTr = new WeakMap<Element, Row>();
let visibility: IntersectionObserver | undefined;
/** Lower-cased text the filter searches, per channel object (the store replaces objects on change). */
const haystacks = new WeakMap<ChannelView, string>();

let current: Store | undefined;
let pointerInside = false;
let lastMove = 0;
let idleTimer: ReturnType<typeof setTimeout> | undefined;
/** The uuid of the row the pointer last moved onto. */
let aimed: string | undefined;

export function initChannels(store: Store): void {
  current = store;
  $('channel-filter').addEventListener('input', () => renderChannels(store, true));
  const table = $('channels');
  const tbody = tbodyOf();
  table.addEventListener('pointerenter', () => {
    pointerInside = true;
  });
  table.addEventListener('pointerleave', () => {
    pointerInside = false;
    aimed = undefined;
    release();
  });
  table.addEventListener('pointermove', (ev) => {
    pointerInside = true;
    lastMove = performance.now();
    aimed = rowOf(ev.target)?.dataset['uuid'];
    idleTimer ??= setTimeout(idleCheck, HOLD_IDLE_MS);
  });
  table.addEventListener('focusout', () => setTimeout(release, 0));
  tbody.addEventListener('click', (ev) => onClick(ev));
  visibility = new IntersectionObserver(onVisibility, { rootMargin: '200px 0px' });
}

function onVisibility(entries: IntersectionObserverEntry[]): void {
  const now = current?.now();
  for (const e of entries) {
    const r = rowOfTr.get(e.target);
    if (r === undefined) continue;
    if (!e.isIntersecting) {
      onScreen.delete(r);
      continue;
    }
    onScreen.add(r);
    // Its duration stood still while it was off screen.
    if (now !== undefined) tick(r, now);
  }
}

function removeRow(uuid: string, r: Row): void {
  r.tr.remove();
  rows.delete(uuid);
  onScreen.delete(r);
  visibility?.unobserve(r.tr);
}

/** Whether structural changes (new rows, removals, order) wait: held by the pointer or by keyboard focus. */
function held(): 'pointer' | 'focus' | undefined {
  if (pointerInside && performance.now() - lastMove < HOLD_IDLE_MS) return 'pointer';
  const focused = document.activeElement;
  return focused !== null && focused !== document.body && tbodyOf().contains(focused) && focused.matches(':focus-visible') ? 'focus' : undefined;
}

function idleCheck(): void {
  idleTimer = undefined;
  const left = HOLD_IDLE_MS - (performance.now() - lastMove);
  if (pointerInside && left > 0) idleTimer = setTimeout(idleCheck, left);
  else release();
}

function release(): void {
  if (current !== undefined && held() === undefined) renderChannels(current);
}

function tbodyOf(): HTMLTableSectionElement {
  const tbody = $('channels').querySelector('tbody');
  if (tbody === null) throw new Error('#channels tbody missing from index.html');
  return tbody;
}

function rowOf(target: EventTarget | null): HTMLElement | null {
  return target instanceof Element ? target.closest<HTMLElement>('#channels tbody tr') : null;
}

function haystack(c: ChannelView): string {
  let s = haystacks.get(c);
  if (s === undefined) {
    s = [c.uuid, c.node_id, c.caller, c.destination, c.state, c.application, c.name, c.direction].join('\n').toLowerCase();
    haystacks.set(c, s);
  }
  return s;
}

/** Updates rows in place; adds, removes and orders rows unless held (`force`: the user asked, by filtering). */
export function renderChannels(store: Store, force = false): void {
  current = store;
  const tbody = tbodyOf();
  const hold = force ? undefined : held();
  let ended = 0;
  for (const [uuid, r] of rows) {
    const c = store.channels.get(uuid);
    if (c !== undefined) {
      update(r, c, store);
    } else if (hold !== undefined) {
      setEnded(r, true);
      ended++;
    } else {
      removeRow(uuid, r);
    }
  }
  const filter = ($('channel-filter') as HTMLInputElement).value.trim().toLowerCase();
  const matching = [...store.channels.values()].filter((c) => filter === '' || haystack(c).includes(filter));
  matching.sort((a, b) => b.created - a.created || (a.uuid < b.uuid ? -1 : 1));
  const shown = matching.slice(0, MAX_TABLE_ROWS);
  const more = $('channels-more');
  more.dataset['shown'] = String(shown.length);
  more.dataset['matching'] = String(matching.length);
  more.textContent = matching.length > shown.length ? `showing the newest ${shown.length} of ${matching.length}: filter to find the others` : '';
  fullNote(store);
  const heldNote = $('channels-held');
  if (hold !== undefined) {
    const fresh = shown.filter((c) => !rows.has(c.uuid)).length;
    heldNote.dataset['new'] = String(fresh);
    heldNote.dataset['ended'] = String(ended);
    heldNote.textContent = fresh + ended === 0 ? '' : `held while ${hold === 'pointer' ? 'the pointer is on the table' : 'a row has keyboard focus'}: ${fresh} new · ${ended} ended`;
    return;
  }
  heldNote.textContent = '';
  delete heldNote.dataset['new'];
  delete heldNote.dataset['ended'];
  const wanted = new Set(shown.map((c) => c.uuid));
  for (const [uuid, r] of rows) {
    if (wanted.has(uuid)) continue;
    removeRow(uuid, r);
  }
  // Walk the wanted order; only rows out of place are moved (a new call: one insert at the top).
  let next = tbody.firstElementChild;
  for (const c of shown) {
    let r = rows.get(c.uuid);
    if (r === undefined) {
      r = makeRow(c, store);
      rows.set(c.uuid, r);
    }
    if (r.tr === next) next = next.nextElementSibling;
    else tbody.insertBefore(r.tr, next);
  }
  $('channels-empty').hidden = rows.size > 0;
}

/** While the server's table is full and dropping its oldest live calls, the heading says so. */
function fullNote(store: Store): void {
  const note = $('channels-full');
  const { max, evicted } = store.table;
  const full = evicted > 0 && store.channels.size >= max;
  note.dataset['evicted'] = String(evicted);
  note.textContent = full ? `the table is full (${max.toLocaleString('en')} channels): the oldest live calls are dropped from it, ${evicted.toLocaleString('en')} so far` : '';
}

/** Only the duration cells of rows on screen change every second (not those of ended calls). */
export function tickDurations(store: Store): void {
  const now = store.now();
  for (const r of onScreen) tick(r, now);
}

function tick(r: Row, now: number): void {
  if (!r.ended && r.stale === undefined) set(r.duration, duration(now - r.view.created));
}

function set(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

function setAttr(el: HTMLElement, name: string, value: string): void {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

function setEnded(r: Row, ended: boolean): void {
  if (r.ended === ended) return;
  r.ended = ended;
  r.tr.classList.toggle('ended', ended);
  if (ended) r.tr.dataset['ended'] = 'true';
  else delete r.tr.dataset['ended'];
  controls(r);
  set(r.state, ended ? 'ended' : r.view.state);
}

function controls(r: Row): void {
  for (const b of r.buttons) {
    // Events stalled: the node still answers, so its controls stay on.
    const off = r.ended || r.pending.has(b.className) || (r.stale !== undefined && r.stale.why !== 'events' && NEEDS_NODE.has(b.className));
    // A disabled button loses keyboard focus (to body): the hold it kept would go, and the user's
    // place with it. The keyboard-focused one is only marked off (onClick sends nothing from it).
    if (off && b === document.activeElement && b.matches(':focus-visible')) {
      b.disabled = false;
      b.setAttribute('aria-disabled', 'true');
    } else {
      b.disabled = off;
      b.removeAttribute('aria-disabled');
    }
  }
}

/** Greys the row of a call its node cannot vouch for, or brings it back; its duration stops when that began. */
function setStale(r: Row, stale: Stale | undefined, store: Store): void {
  if (r.stale?.at === stale?.at && r.stale?.why === stale?.why) return;
  r.stale = stale;
  r.tr.classList.toggle('stale', stale !== undefined);
  if (stale !== undefined) {
    r.tr.dataset['stale'] = 'true';
    r.tr.dataset['staleReason'] = stale.why;
    r.tr.title = staleTitle(stale);
  } else {
    delete r.tr.dataset['stale'];
    delete r.tr.dataset['staleReason'];
    r.tr.removeAttribute('title');
  }
  controls(r);
  set(r.duration, duration(Math.max(0, (stale?.at ?? store.now()) - r.view.created)));
}

function update(r: Row, c: ChannelView, store: Store): void {
  setEnded(r, false);
  setAttr(r.tr, 'data-gen', String(store.generation));
  setStale(r, staleOf(store.nodes.get(c.node_id)), store);
  if (r.view === c) return;
  r.view = c;
  setAttr(r.tr, 'data-node', c.node_id);
  setAttr(r.tr, 'data-state', c.state);
  set(r.node, c.node_id);
  setAttr(r.node, 'title', c.node_id);
  label(r.buttons, c);
  set(r.route, route(c));
  setAttr(r.route, 'title', route(c));
  setAttr(r.app, 'title', c.application);
  set(r.state, c.state);
  set(r.app, c.application);
  set(r.duration, duration(Math.max(0, (r.stale?.at ?? store.now()) - c.created)));
}

function route(c: ChannelView): string {
  return `${c.caller || '?'} → ${c.destination || '?'}`;
}

/** Screen readers name each row button with its call, not only "hangup". */
function label(buttons: HTMLButtonElement[], c: ChannelView): void {
  const call = c.caller !== '' || c.destination !== '' ? `${route(c)} (${short(c.uuid)})` : short(c.uuid);
  for (const b of buttons) setAttr(b, 'aria-label', `${b.textContent ?? ''} ${call}`);
}

function makeRow(c: ChannelView, store: Store): Row {
  const buttons = [
    h('button', { type: 'button', class: 'timeline-open', title: 'the events of this call, in order' }, 'timeline'),
    h('button', { type: 'button', class: 'playback', title: 'execute_app playback (a tone)' }, 'play'),
    h('button', { type: 'button', class: 'hangup', title: 'hang up (NORMAL_CLEARING)' }, 'hangup'),
  ];
  label(buttons, c);
  const r: Row = {
    tr: h('tr', { 'data-uuid': c.uuid, 'data-node': c.node_id, 'data-state': c.state, 'data-gen': String(store.generation) }),
    node: h('td', { title: c.node_id }, c.node_id),
    route: h('td', { class: 'route', title: route(c) }, route(c)),
    state: h('td', { class: 'state' }, c.state),
    duration: h('td', { class: 'duration' }, duration(store.now() - c.created)),
    app: h('td', { class: 'app', title: c.application }, c.application),
    buttons,
    pending: new Set(),
    view: c,
    ended: false,
    stale: undefined,
  };
  r.tr.append(r.node, h('td', { class: 'uuid', title: c.uuid }, short(c.uuid)), h('td', {}, c.direction), r.route, r.state, r.duration, r.app, h('td', { class: 'actions' }, ...buttons));
  setStale(r, staleOf(store.nodes.get(c.node_id)), store);
  rowOfTr.set(r.tr, r);
  visibility?.observe(r.tr);
  return r;
}

/** One listener for every row's controls: the call is read from the clicked row, at click time. */
function onClick(ev: MouseEvent): void {
  const button = ev.target instanceof Element ? ev.target.closest('button') : null;
  const tr = rowOf(button);
  const uuid = tr?.dataset['uuid'];
  const node = tr?.dataset['node'];
  if (button === null || button.disabled || button.getAttribute('aria-disabled') === 'true' || uuid === undefined || node === undefined) return;
  const what = button.classList.contains('hangup') ? 'hangup' : button.classList.contains('playback') ? 'playback' : 'timeline';
  // A mouse click (detail > 0) on a row the pointer did not move onto: the row slid under a resting pointer.
  if (ev.detail > 0 && aimed !== uuid) {
    aimed = uuid;
    showResult(`${what} ${short(uuid)}`, { success: false, message: 'the table changed under the pointer: nothing sent — check the row and click again' });
    return;
  }
  if (what === 'timeline') {
    void openTimeline(uuid);
    return;
  }
  const body = what === 'playback' ? { command: 'execute_app', node_id: node, uuid, app: 'playback', args: PLAYBACK } : { command: 'hangup', node_id: node, uuid };
  const r = rows.get(uuid);
  // Off until the command answers: a second click would send it again.
  r?.pending.add(button.className);
  if (r !== undefined) controls(r);
  void command(body)
    .then((res) => showResult(`${what} ${short(uuid)}`, res))
    .finally(() => {
      r?.pending.delete(button.className);
      if (r !== undefined) controls(r);
    });
}

export function short(uuid: string): string {
  return uuid.length > 13 ? `${uuid.slice(0, 8)}…` : uuid;
}
