/**
 * The dialplan hunt of a channel in CS_ROUTING: mod_xml_curl first when configured, the static
 * dialplan when it answers "not found" (or fails: timeout, non-200, unparsable). A document it
 * serves otherwise is the dialplan: no context or no matching extension there means no route.
 */
import type { Channel } from './channel.js';
import { pushProfile } from './channel.js';
import type { SimClock } from './clock.js';
import type { EventBus, Headers } from './event-bus.js';
import type { DialplanAction, StaticDialplan } from './dialplan.js';
import { matchExtensions } from './dialplan.js';
import { DEFAULT_XML_CURL_TIMEOUT_MS, fetchDialplan } from './xml-curl.js';

const LOG_WARNING = 4;

export interface XmlCurlBinding {
  readonly url: string | undefined;
  /** mod_xml_curl's `timeout` param, in ms; undefined or 0: none, as FreeSWITCH's default. */
  readonly timeoutMs: number | undefined;
}

export function createDialplanLookup(bus: EventBus, clock: SimClock, binding: XmlCurlBinding, dialplan: () => StaticDialplan) {
  return async (ch: Channel): Promise<DialplanAction[] | undefined> => {
    const seq = bus.nextSequence(); // FreeSWITCH's REQUEST_PARAMS event takes a sequence number
    const context = ch.profile?.context ?? 'default';
    if (binding.url !== undefined && binding.url !== '') {
      const r = await fetchDialplan(binding.url, xmlCurlFields(bus, ch, seq), context, clock, binding.timeoutMs ?? DEFAULT_XML_CURL_TIMEOUT_MS);
      if (r.found) {
        if (r.context === undefined) bus.log(LOG_WARNING, { file: 'mod_dialplan_xml.c', func: 'dialplan_hunt', line: 669 }, `Context ${context} not found`, ch.uuid);
        return matchExtensions(ch, r.extensions);
      }
    }
    return matchExtensions(ch, dialplan()[context] ?? []);
  };
}

/**
 * The form mod_xml_curl posts for a dialplan lookup: binding fields, REQUEST_PARAMS headers, channel
 * data, then Hunt-*: switch_caller_profile_event_set_data on the channel's profile, the same fields
 * as its Caller-* (empty ones left out: Username, Network-Addr, RDNIS, … on a loopback call).
 */
export function xmlCurlFields(bus: EventBus, ch: Channel, seq: number): Headers {
  const h: Headers = [['hostname', bus.identity.hostname], ['section', 'dialplan'], ['tag_name', ''], ['key_name', ''], ['key_value', '']];
  h.push(...bus.coreHeaders('REQUEST_PARAMS', { file: 'mod_dialplan_xml.c', func: 'dialplan_xml_locate', line: 610 }, undefined, seq), ...ch.channelHeaders(true));
  if (ch.profile !== undefined) pushProfile(h, 'Hunt', ch.profile, ch.uuid, ch.name);
  return h;
}
