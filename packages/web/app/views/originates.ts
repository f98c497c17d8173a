/**
 * The dashboard's originates, one item each (every page's, so what holds the server's cap is on
 * screen): `ringing…` with what it dialled and for how long, a **cancel** (hangup
 * ORIGINATOR_CANCEL: its uuid is known while it rings) and its timeline; once its reply came, the
 * outcome on the same item: the call's uuid, or FreeSWITCH's cause. Items are updated in place,
 * newest on top, so a button does not move or get replaced under the pointer.
 */
import type { CommandResult, OriginateView } from '../../src/protocol.js';
import { command } from '../api.js';
import { $, duration, h } from '../dom.js';
import type { Store } from '../store.js';
import { showResult } from './result.js';
import { openTimeline } from './timeline.js';

/** The bus gave up waiting, not the node: the call may still connect. */
const CLIENT_TIMEOUT = 'FSBUS_ERR_CLIENT_TIMEOUT';

interface Item {
  li: HTMLLIElement;
  /** The view it shows (redrawn when its state changes). */
  view: OriginateView;
  elapsed: HTMLElement;
}

const items = new Map<string, Item>();
/** Ringing originates this page sent: their outcome also goes to the results, as any control's. */
const mine = new Set<string>();
/** Originates whose cancel has not answered yet (off, so it is not sent twice). */
const cancelling = new Set<string>();

export function originateLabel(o: Pick<OriginateView, 'endpoint' | 'extension'>): string {
  return `originate ${o.endpoint} → ${o.extension}`;
}

export function initOriginates(store: Store): void {
  $('originates').addEventListener('click', (ev) => onClick(store, ev));
}

/** The control's answer: the item at once (the stream may bring it, or even its end, later or sooner). */
export function originateSent(store: Store, view: OriginateView): void {
  mine.add(view.uuid);
  if (!store.originates.has(view.uuid)) store.originates.set(view.uuid, view);
  renderOriginates(store);
}

export function renderOriginates(store: Store): void {
  const list = $('originates');
  for (const [uuid, item] of items) {
    if (store.originates.has(uuid)) continue;
    item.li.remove();
    items.delete(uuid);
  }
  const views = [...store.originates.values()].sort((a, b) => b.started - a.started);
  let prev: Element | null = null;
  for (const view of views) {
    let item = items.get(view.uuid);
    // The stream's copy of a view the control already drew changes nothing: the buttons stay.
    if (item === undefined || item.view.state !== view.state) item = draw(store, view, item);
    else item.view = view;
    const at: ChildNode | null = prev === null ? list.firstChild : prev.nextSibling;
    if (at !== item.li) list.insertBefore(item.li, at);
    prev = item.li;
  }
  tickOriginates(store);
  reportMine(store);
}

/** The ringing ones' time: their text only, each second. */
export function tickOriginates(store: Store): void {
  for (const { view, elapsed } of items.values()) {
    if (view.state === 'ringing') elapsed.textContent = duration(store.now() - view.started);
  }
}

/** This page's originates that ended: said in the results too (the stream may have brought the end first). */
function reportMine(store: Store): void {
  for (const uuid of mine) {
    const view = store.originates.get(uuid);
    if (view === undefined) mine.delete(uuid); // dropped unseen (the page was away): its item is gone too
    else if (view.state !== 'ringing') {
      mine.delete(uuid);
      showResult(originateLabel(view), view.result ?? { success: view.state === 'answered', message: view.state });
    }
  }
}

function draw(store: Store, view: OriginateView, old: Item | undefined): Item {
  const li = old?.li ?? h('li', { 'data-uuid': view.uuid });
  li.dataset['state'] = view.state;
  const elapsed = h('span', { class: 'elapsed' }, view.ended === undefined ? duration(store.now() - view.started) : `after ${duration(view.ended - view.started)}`);
  const where = view.node_id ?? view.result?.node_id;
  li.replaceChildren(
    h('span', { class: 'state' }, stateText(view)),
    ' ',
    h('b', { class: 'what', title: `${view.endpoint} → ${view.extension}` }, `${view.endpoint} → ${view.extension}`),
    h('span', { class: 'muted' }, where === undefined ? ' · any node' : ` @${where}`),
    ' · ',
    elapsed,
    ' ',
    // Answered, the call's uuid is the outcome: whole. Otherwise a handle (timeline, cancel).
    h('code', { class: 'uuid', title: view.uuid }, view.state === 'answered' ? placedUuid(view) : `${view.uuid.slice(0, 8)}…`),
    ...(view.result === undefined || view.state === 'answered' ? [] : outcome(view, view.result)),
    h('span', { class: 'buttons' }, ...buttons(view)),
  );
  const item: Item = { li, view, elapsed };
  items.set(view.uuid, item);
  return item;
}

function stateText(view: OriginateView): string {
  if (view.state === 'ringing') return 'ringing…';
  if (view.state === 'answered') return '✓ answered';
  return `✗ ${view.cause ?? 'failed'}`;
}

/** The channel's uuid: the reply's when FreeSWITCH placed the call under another (the asked one was in use). */
function placedUuid(view: OriginateView): string {
  const data = view.result?.data;
  const placed = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['uuid'] : undefined;
  return typeof placed === 'string' ? placed : view.uuid;
}

/** Why it failed: the cause is in the state already; any other failure (refused, timed out) says its message. */
function outcome(view: OriginateView, r: CommandResult): Array<Node | string> {
  return [
    view.cause === undefined ? h('span', { class: 'message' }, ` ${r.message}`) : '',
    r.code === undefined ? '' : h('code', {}, r.code),
    r.code === CLIENT_TIMEOUT ? h('span', { class: 'may-run' }, ' — no answer in time: the call may still connect; watch its uuid') : '',
  ];
}

function buttons(view: OriginateView): HTMLButtonElement[] {
  const label = `${view.endpoint} → ${view.extension} (${view.uuid.slice(0, 8)}…)`;
  const timeline = h('button', { type: 'button', class: 'timeline-open', 'aria-label': `timeline of ${label}` }, 'timeline');
  if (view.state !== 'ringing') return [timeline];
  const cancel = h('button', { type: 'button', class: 'cancel', 'aria-label': `cancel originate ${label}`, title: 'hang up the ringing call (ORIGINATOR_CANCEL)' }, 'cancel');
  cancel.disabled = cancelling.has(view.uuid);
  return [cancel, timeline];
}

function onClick(store: Store, ev: MouseEvent): void {
  const button = ev.target instanceof Element ? ev.target.closest('button') : null;
  const uuid = button?.closest('li')?.dataset['uuid'];
  if (button === null || button.disabled || uuid === undefined) return;
  if (button.classList.contains('timeline-open')) {
    void openTimeline(uuid);
    return;
  }
  const view = store.originates.get(uuid);
  if (view === undefined || view.state !== 'ringing') return;
  // Sent to the api lane, the call's node is known from its channel's events.
  const node = view.node_id ?? store.channels.get(uuid)?.node_id;
  const what = `cancel ${originateLabel(view)}`;
  if (node === undefined) {
    showResult(what, { success: false, message: 'its node is not known yet (no event of the call so far): nothing sent — try again in a moment' });
    return;
  }
  cancelling.add(uuid);
  button.disabled = true;
  void command({ command: 'hangup', node_id: node, uuid, cause: 'ORIGINATOR_CANCEL' })
    .then((r) => showResult(what, r))
    .finally(() => {
      cancelling.delete(uuid);
      button.disabled = false;
    });
}
