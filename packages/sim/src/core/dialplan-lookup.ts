/**
 * The dialplan hunt of a channel in CS_ROUTING: mod_xml_curl first when configured (falling
 * back on "not found", a timeout or a non-200), then the static dialplan.
 */
import type { Channel } from './channel.js';
import type { SimClock } from './clock.js';
import type { EventBus, Headers } from './event-bus.js';
import type { DialplanAction, StaticDialplan } from './dialplan.js';
import { matchExtensions } from './dialplan.js';
import { DEFAULT_XML_CURL_TIMEOUT_MS, fetchDialplan } from './xml-curl.js';

export interface XmlCurlBinding {
  readonly url: string | undefined;
  readonly timeoutMs: number | undefined;
}

export function createDialplanLookup(bus: EventBus, clock: SimClock, binding: XmlCurlBinding, dialplan: () => StaticDialplan) {
  return async (ch: Channel): Promise<DialplanAction[] | undefined> => {
    const seq = bus.nextSequence(); // FreeSWITCH's REQUEST_PARAMS event takes a sequence number
    const context = ch.profile?.context ?? 'default';
    if (binding.url !== undefined && binding.url !== '') {
      const r = await fetchDialplan(binding.url, xmlCurlFields(bus, ch, seq), context, clock, binding.timeoutMs ?? DEFAULT_XML_CURL_TIMEOUT_MS);
      if (r.found) {
        const actions = matchExtensions(ch, r.extensions);
        if (actions !== undefined) return actions;
      }
    }
    return matchExtensions(ch, dialplan()[context] ?? []);
  };
}

/** The form mod_xml_curl posts for a dialplan lookup: binding fields, REQUEST_PARAMS headers, channel data, Hunt-*. */
export function xmlCurlFields(bus: EventBus, ch: Channel, seq: number): Headers {
  const p = ch.profile;
  const h: Headers = [['hostname', bus.identity.hostname], ['section', 'dialplan'], ['tag_name', ''], ['key_name', ''], ['key_value', '']];
  h.push(...bus.coreHeaders('REQUEST_PARAMS', { file: 'mod_dialplan_xml.c', func: 'dialplan_xml_locate', line: 596 }, undefined, seq), ...ch.channelHeaders(true));
  h.push(
    ['Hunt-Direction', p?.direction ?? ''], ['Hunt-Logical-Direction', p?.direction ?? ''], ['Hunt-Dialplan', p?.dialplan ?? ''],
    ['Hunt-Caller-ID-Name', p?.callerIdName ?? ''], ['Hunt-Caller-ID-Number', p?.callerIdNumber ?? ''], ['Hunt-ANI', p?.ani ?? ''],
    ['Hunt-Destination-Number', p?.destinationNumber ?? ''], ['Hunt-Unique-ID', ch.uuid], ['Hunt-Source', p?.source ?? ''],
    ['Hunt-Context', p?.context ?? ''], ['Hunt-Channel-Name', ch.name],
  );
  return h;
}
