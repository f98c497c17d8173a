/** One call's events in order, with the time since its first event. */
import { timeline } from '../api.js';
import { $, h } from '../dom.js';

export async function openTimeline(uuid: string): Promise<void> {
  const data = await timeline(uuid);
  if (typeof data === 'string') {
    $('timeline-uuid').textContent = `${uuid} (${data})`;
    $('timeline').replaceChildren();
    return;
  }
  $('timeline-uuid').textContent = data.channel === null ? `${uuid} (ended or unknown)` : `${uuid} · ${data.channel.caller} → ${data.channel.destination} @${data.channel.node_id}`;
  $('timeline-view').dataset['uuid'] = uuid;
  const first = data.events[0]?.timestamp ?? 0;
  $('timeline').replaceChildren(
    ...data.events.map((e) =>
      h('li', { 'data-name': e.name, 'data-id': String(e.id) }, h('span', { class: 'offset' }, `+${((e.timestamp - first) / 1000).toFixed(0)} ms`), h('b', {}, e.name), h('span', { class: 'muted' }, ` ${e.summary}`)),
    ),
  );
  if (data.events.length === 0) $('timeline').replaceChildren(h('li', { class: 'empty' }, 'no events kept for this uuid'));
  else if ((data.dropped ?? 0) > 0) $('timeline').prepend(h('li', { class: 'empty', 'data-dropped': String(data.dropped) }, `${String(data.dropped)} earlier events not kept`));
  $('timeline-view').scrollIntoView({ block: 'nearest' });
}
