/** The live event stream: pausable, filtered by name/node/uuid; a click shows every header. */
import type { EventDetail, EventView } from '../../src/protocol.js';
import { eventDetail, NO_LONGER_HELD } from '../api.js';
import { $, clock, h } from '../dom.js';
import type { Store } from '../store.js';
import { openTimeline } from './timeline.js';

/** Rows kept in the list. */
const MAX_ROWS = 300;

/** Events that arrived while paused, kept for the count (the newest, at most this many). */
const MAX_ARRIVED = 1000;

let paused = false;
/** The list as it was when paused: the filters apply to these, not to what came after. */
let held: EventView[] = [];
let arrived: EventView[] = [];
let arrivedDropped = false;

export function initEvents(store: Store): void {
  const button = $('events-pause');
  button.addEventListener('click', () => {
    paused = !paused;
    button.textContent = paused ? 'Resume' : 'Pause';
    button.dataset['paused'] = String(paused);
    held = paused ? store.events.slice() : [];
    arrived = [];
    arrivedDropped = false;
    if (!paused) renderAllEvents(store);
    pausedLabel();
  });
  for (const id of ['filter-name', 'filter-node', 'filter-uuid']) {
    $(id).addEventListener('input', () => {
      renderAllEvents(store);
      pausedLabel();
    });
  }
}

function filters(): { name: string; node: string; uuid: string } {
  const v = (id: string): string => ($(id) as HTMLInputElement).value.trim().toLowerCase();
  return { name: v('filter-name'), node: v('filter-node'), uuid: v('filter-uuid') };
}

function matches(e: EventView, f: { name: string; node: string; uuid: string }): boolean {
  return (
    (f.name === '' || e.name.toLowerCase().includes(f.name)) &&
    (f.node === '' || e.node_id.toLowerCase().includes(f.node)) &&
    (f.uuid === '' || (e.uuid ?? '').toLowerCase().includes(f.uuid))
  );
}

/** "paused · N new": N counts the arrivals the filters would show. */
function pausedLabel(): void {
  const label = $('events-paused');
  if (!paused) {
    label.textContent = '';
    delete label.dataset['new'];
    return;
  }
  const f = filters();
  const n = arrived.filter((e) => matches(e, f)).length;
  label.dataset['new'] = String(n);
  label.textContent = n === 0 && !arrivedDropped ? 'paused' : `paused · ${n}${arrivedDropped ? '+' : ''} new`;
}

/** The list from the page's events (while paused: from those held at the pause). */
export function renderAllEvents(store: Store): void {
  const f = filters();
  const list = (paused ? held : store.events).filter((e) => matches(e, f)).slice(-MAX_ROWS).reverse();
  $('events').replaceChildren(...list.map(row));
}

/** New events go on top, unless the stream is paused (then they are only counted). */
export function appendEvents(events: EventView[]): void {
  if (paused) {
    arrived.push(...events);
    if (arrived.length > MAX_ARRIVED) {
      arrived.splice(0, arrived.length - MAX_ARRIVED);
      arrivedDropped = true;
    }
    pausedLabel();
    return;
  }
  const f = filters();
  const box = $('events');
  for (const e of events) if (matches(e, f)) box.prepend(row(e));
  while (box.childElementCount > MAX_ROWS) box.lastElementChild?.remove();
}

function row(e: EventView): HTMLElement {
  const li = h(
    'li',
    { 'data-id': String(e.id), 'data-name': e.name, tabindex: '0' },
    h('span', { class: 'time' }, clock(e.timestamp)),
    h('b', { class: 'name' }, e.name),
    h('span', { class: 'node' }, e.node_id),
    h('span', { class: 'summary' }, e.summary),
  );
  const open = (): void => void showDetail(e);
  li.addEventListener('click', open);
  li.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') open();
  });
  return li;
}

/** What the server answers for an id must be the row's event: a server restarted under a paused list must not show another. */
function sameEvent(d: EventDetail, e: EventView): boolean {
  return d.id === e.id && d.name === e.name && d.node_id === e.node_id && d.timestamp === e.timestamp;
}

async function showDetail(e: EventView): Promise<void> {
  const box = $('event-detail');
  const id = e.id;
  let d = await eventDetail(id);
  if (typeof d !== 'string' && !sameEvent(d, e)) d = NO_LONGER_HELD;
  if (typeof d === 'string') {
    box.replaceChildren(h('p', { class: 'empty' }, d));
    box.dataset['id'] = String(id);
    return;
  }
  const title = h('h3', {}, `${d.name} @${d.node_id}`);
  const parts: Node[] = [title];
  if (d.uuid !== undefined) {
    const uuid = d.uuid;
    const tl = h('button', { type: 'button', class: 'timeline-open' }, `timeline of ${uuid.slice(0, 8)}…`);
    tl.addEventListener('click', () => void openTimeline(uuid));
    parts.push(tl);
  }
  const table = h('table', { class: 'headers' }, ...Object.entries(d.headers).map(([k, v]) => h('tr', {}, h('th', {}, k), h('td', {}, v))));
  parts.push(table);
  if (d.body !== undefined) parts.push(h('pre', {}, d.body));
  box.replaceChildren(...parts);
  box.dataset['id'] = String(id);
}
