/** Live channels: one row per channel, a filter box, and per-call controls. */
import type { ChannelView } from '../../src/protocol.js';
import { command } from '../api.js';
import { $, duration, h } from '../dom.js';
import type { Store } from '../store.js';
import { showResult } from './result.js';
import { openTimeline } from './timeline.js';

/** What playback plays from the dashboard: a tone every FreeSWITCH has, no sound files needed. */
const PLAYBACK = 'tone_stream://%(400,200,440,480);loops=2';

export function initChannels(store: Store): void {
  $('channel-filter').addEventListener('input', () => renderChannels(store));
}

export function renderChannels(store: Store): void {
  const filter = ($('channel-filter') as HTMLInputElement).value.trim().toLowerCase();
  const rows = [...store.channels.values()]
    .filter((c) => filter === '' || [c.uuid, c.node_id, c.caller, c.destination, c.state, c.application, c.name, c.direction].some((v) => v.toLowerCase().includes(filter)))
    .sort((a, b) => b.created - a.created);
  const tbody = $('channels').querySelector('tbody');
  tbody?.replaceChildren(...rows.map((c) => row(c, store)));
  $('channels-empty').hidden = rows.length > 0;
}

/** Only the duration cells change every second. */
export function tickDurations(store: Store): void {
  for (const cell of document.querySelectorAll<HTMLElement>('#channels td.duration')) {
    const created = Number(cell.dataset['created']);
    cell.textContent = duration(store.now() - created);
  }
}

function row(c: ChannelView, store: Store): HTMLElement {
  const tl = h('button', { type: 'button', class: 'timeline-open', title: 'the events of this call, in order' }, 'timeline');
  tl.addEventListener('click', () => void openTimeline(c.uuid));
  const play = h('button', { type: 'button', class: 'playback', title: 'execute_app playback (a tone)' }, 'play');
  play.addEventListener('click', () => {
    void command({ command: 'execute_app', node_id: c.node_id, uuid: c.uuid, app: 'playback', args: PLAYBACK }).then((r) => showResult(`playback ${short(c.uuid)}`, r));
  });
  const hang = h('button', { type: 'button', class: 'hangup', title: 'hang up (NORMAL_CLEARING)' }, 'hangup');
  hang.addEventListener('click', () => {
    void command({ command: 'hangup', node_id: c.node_id, uuid: c.uuid }).then((r) => showResult(`hangup ${short(c.uuid)}`, r));
  });
  return h(
    'tr',
    { 'data-uuid': c.uuid, 'data-node': c.node_id, 'data-state': c.state, 'data-gen': String(store.generation) },
    h('td', {}, c.node_id),
    h('td', { class: 'uuid', title: c.uuid }, short(c.uuid)),
    h('td', {}, c.direction),
    h('td', { class: 'route' }, `${c.caller || '?'} → ${c.destination || '?'}`),
    h('td', { class: 'state' }, c.state),
    h('td', { class: 'duration', 'data-created': String(c.created) }, duration(store.now() - c.created)),
    h('td', { class: 'app' }, c.application),
    h('td', { class: 'actions' }, tl, play, hang),
  );
}

export function short(uuid: string): string {
  return uuid.length > 13 ? `${uuid.slice(0, 8)}…` : uuid;
}
