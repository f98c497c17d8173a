/** One card per agent: links, uptime, counters, park mode and its controls. */
import type { NodeView } from '../../src/protocol.js';
import { command } from '../api.js';
import { $, duration, h } from '../dom.js';
import type { Store } from '../store.js';
import { showResult } from './result.js';

type Rec = Record<string, unknown>;

const obj = (v: unknown): Rec => (typeof v === 'object' && v !== null ? (v as Rec) : {});
const num = (v: unknown): string => (typeof v === 'number' ? v.toLocaleString() : '–');
const text = (v: unknown): string => (typeof v === 'string' ? v : '–');

interface Card {
  root: HTMLElement;
  badge: HTMLElement;
  dl: HTMLElement;
  toggle: HTMLButtonElement;
  audio: HTMLSelectElement;
  node: NodeView;
}

/** Cards are kept and updated in place, so a control being used is not replaced under the pointer. */
const cards = new Map<string, Card>();

export function renderNodes(store: Store): void {
  const box = $('nodes');
  const nodes = [...store.nodes.values()].sort((a, b) => a.node_id.localeCompare(b.node_id));
  if (nodes.length === 0) return;
  const list = nodes.map((n) => {
    const c = cards.get(n.node_id) ?? makeCard(n);
    cards.set(n.node_id, c);
    fill(c, n, store);
    return c.root;
  });
  if (list.length !== box.childElementCount || list.some((el, i) => box.children[i] !== el)) box.replaceChildren(...list);
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
  const toggle = h('button', { type: 'button', class: 'park-toggle', 'data-node': id }, 'Park on');
  const audio = h('select', { class: 'park-audio', 'aria-label': 'park audio' }, ...['silence', 'ringback', 'music'].map((m) => h('option', { value: m }, m)));
  const setAudio = h('button', { type: 'button', class: 'park-audio-set' }, 'Set audio');
  const badge = h('span', { class: 'badge' });
  const dl = h('dl');
  const root = h('article', { class: 'card', 'data-node': id }, h('header', {}, h('h3', {}, id), badge), dl, h('footer', {}, toggle, audio, setAudio));
  const card: Card = { root, badge, dl, toggle, audio, node: n };
  toggle.addEventListener('click', () => {
    const cmd = card.node.park.enabled === true ? 'dialplan.disable' : 'dialplan.enable';
    void command({ command: cmd, node_id: id }).then((r) => showResult(`${cmd} ${id}`, r));
  });
  setAudio.addEventListener('click', () => {
    const body: Rec = { command: 'dialplan.audio', node_id: id, mode: audio.value };
    if (audio.value === 'music') body['music_class'] = 'moh';
    void command(body).then((r) => showResult(`dialplan.audio ${audio.value} ${id}`, r));
  });
  return card;
}

function fill(card: Card, n: NodeView, store: Store): void {
  card.node = n;
  const s = n.status;
  const broker = obj(s['broker']);
  const esl = obj(s['esl']);
  const c = obj(s['counters']);
  const eslState = text(esl['status']);
  const brokerState = text(broker['status']);
  const healthy = n.presence === 'online' && brokerState === 'connected' && eslState === 'ready';
  const channels = [...store.channels.values()].filter((ch) => ch.node_id === n.node_id).length;
  const uptime = typeof s['uptime'] === 'number' ? duration(s['uptime'] * 1000 + (n.presence === 'online' ? store.now() - n.last_seen : 0)) : '–';
  const park = n.park;
  const parkState = !park.available ? 'unavailable' : park.enabled === true ? 'on' : 'off';
  const parkText = parkState !== 'on' ? parkState : `on${park.audio === undefined ? '' : ` · ${park.audio}`}${park.auto_answer === true ? ' · auto-answer' : ''}`;

  card.root.className = `card ${healthy ? 'healthy' : 'unhealthy'}`;
  card.root.dataset['presence'] = n.presence;
  card.badge.dataset['state'] = n.presence;
  card.badge.textContent = n.presence;
  card.toggle.textContent = park.enabled === true ? 'Park off' : 'Park on';
  if (park.audio !== undefined && document.activeElement !== card.audio) card.audio.value = park.audio;
  card.dl.replaceChildren(
    h('dt', {}, 'broker'), h('dd', { class: 'broker-state', 'data-state': brokerState }, `${brokerState} (${text(s['driver'])})`),
    h('dt', {}, 'FreeSWITCH'), h('dd', { class: 'esl-state', 'data-state': eslState }, eslState),
    h('dt', {}, 'uptime'), h('dd', { class: 'uptime' }, uptime),
    h('dt', {}, 'channels'), h('dd', {}, String(channels)),
    h('dt', {}, 'requests'), h('dd', {}, `${num(c['requests_ok'])} ok · ${num(c['requests_failed'])} failed`),
    h('dt', {}, 'events'), h('dd', {}, `${num(c['events_published'])} published · ${num(c['events_dropped'])} dropped`),
    h('dt', {}, 'reconnects'), h('dd', {}, num(c['reconnects'])),
    h('dt', {}, 'park'), h('dd', { class: 'park-state', 'data-park': parkState, title: park.error ?? '' }, parkText),
  );
}
