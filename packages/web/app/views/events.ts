/** The live event stream: pausable, filtered by name/node/uuid; a click shows every header. */
import type { EventView } from '../../src/protocol.js';
import { eventDetail } from '../api.js';
import { $, clock, h } from '../dom.js';
import type { Store } from '../store.js';
import { openTimeline } from './timeline.js';

/** Rows kept in the list. */
const MAX_ROWS = 300;

let paused = false;
let missed = 0;

export function initEvents(store: Store): void {
  const button = $('events-pause');
  button.addEventListener('click', () => {
    paused = !paused;
    button.textContent = paused ? 'Resume' : 'Pause';
    button.dataset['paused'] = String(paused);
    if (!paused) {
      missed = 0;
      renderAllEvents(store);
    }
    $('events-paused').textContent = paused ? 'paused' : '';
  });
  for (const id of ['filter-name', 'filter-node', 'filter-uuid']) $(id).addEventListener('input', () => renderAllEvents(store));
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

export function renderAllEvents(store: Store): void {
  const f = filters();
  const list = store.events.filter((e) => matches(e, f)).slice(-MAX_ROWS).reverse();
  $('events').replaceChildren(...list.map(row));
}

/** New events go on top, unless the stream is paused (then they are only counted). */
export function appendEvents(events: EventView[]): void {
  if (paused) {
    missed += events.length;
    $('events-paused').textContent = `paused · ${missed} new`;
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
  const open = (): void => void showDetail(e.id);
  li.addEventListener('click', open);
  li.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') open();
  });
  return li;
}

async function showDetail(id: number): Promise<void> {
  const box = $('event-detail');
  const d = await eventDetail(id);
  if (d === undefined) {
    box.replaceChildren(h('p', { class: 'empty' }, 'this event is no longer kept by the server'));
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
