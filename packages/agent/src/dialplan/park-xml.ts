/**
 * The documents the mod_xml_curl endpoint serves: a park extension for the context FreeSWITCH
 * asked about, or mod_xml_curl's "not found" (FreeSWITCH then falls back to its static dialplan).
 */
import type { ParkSettings } from './park-settings.js';

/** North American ring cadence, literal so it works without vars.xml's `${us-ring}`. */
export const RING_TONE = '%(2000,4000,440,480)';

/** The channel variable the park extension sets; CHANNEL_PARK events carrying it are ours. */
export const PARK_MARKER_VAR = 'fsbus_park_node';

export const NOT_FOUND_DOCUMENT =
  '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' +
  '<document type="freeswitch/xml">\n  <section name="result">\n    <result status="not found"/>\n  </section>\n</document>\n';

export interface DialplanAction {
  application: string;
  data?: string;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/** The applications of the park extension, in order. */
export function parkActions(s: ParkSettings, nodeId: string): DialplanAction[] {
  const out: DialplanAction[] = [];
  const set = (name: string, value: string) => out.push({ application: 'set', data: `${name}=${value}` });
  set(PARK_MARKER_VAR, nodeId);
  // Auto-answer first: everything after it runs on an answered channel.
  if (s.autoanswer) out.push({ application: 'answer' });
  if (s.mode === 'ringback') {
    set('ringback', RING_TONE);
    set('transfer_ringback', RING_TONE);
    if (s.autoanswer) set('hold_music', `tone_stream://${RING_TONE};loops=-1`);
    else out.push({ application: 'ring_ready' });
  } else if (s.mode === 'music') {
    set('hold_music', `local_stream://${s.music_class}`);
  }
  // FreeSWITCH's park reads park_timeout as `<seconds>[:<cause>]` and hangs up when it expires.
  if (s.timeout_seconds > 0) set('park_timeout', `${s.timeout_seconds}:${s.timeout_cause}`);
  out.push({ application: 'park' });
  return out;
}

export function parkDocument(s: ParkSettings, context: string, nodeId: string): string {
  const actions = parkActions(s, nodeId)
    .map((a) => `          <action application="${escapeXml(a.application)}"${a.data === undefined ? '' : ` data="${escapeXml(a.data)}"`}/>\n`)
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' +
    '<document type="freeswitch/xml">\n' +
    '  <section name="dialplan" description="fsbus park mode">\n' +
    `    <context name="${escapeXml(context)}">\n` +
    '      <extension name="fsbus_park">\n' +
    '        <condition field="destination_number" expression="^(.*)$">\n' +
    actions +
    '        </condition>\n' +
    '      </extension>\n' +
    '    </context>\n' +
    '  </section>\n' +
    '</document>\n'
  );
}
