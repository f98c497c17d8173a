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

/**
 * The variable naming what the agent plays on the parked channel: FreeSWITCH's park never plays
 * anything itself (switch_ivr_park reads no hold_music), so on the CHANNEL_PARK of a channel
 * carrying it the agent runs `uuid_broadcast <uuid> <value> aleg` (park-manager.ts).
 */
export const PARK_AUDIO_VAR = 'fsbus_park_audio';

/**
 * The playback argument for an audio mode, or undefined when nothing is played. `%[…]` scopes
 * variables to that one playback (switch_core_session_exec): `playback_timeout_sec` ends the
 * endless stream when the park timeout is due — park checks its timeout only between the
 * events it runs, never during the playback — and `playback_terminators=none` keeps a caller's
 * `*` (mod_dptools' default terminator) from stopping it.
 */
export function parkAudio(s: ParkSettings): string | undefined {
  let stream: string;
  if (s.mode === 'music') stream = `local_stream://${s.music_class}`;
  else if (s.mode === 'ringback' && s.autoanswer) stream = `tone_stream://${RING_TONE};loops=-1`;
  else return undefined;
  // switch_ivr_play_file ignores a playback_timeout_sec under 2.
  const timeout = s.timeout_seconds > 0 ? `playback_timeout_sec=${Math.max(2, s.timeout_seconds)},` : '';
  return `%[${timeout}playback_terminators=none]${stream}`;
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
    // Unanswered, the caller's phone rings by itself on the 180.
    if (!s.autoanswer) out.push({ application: 'ring_ready' });
  } else if (s.mode === 'music' && !s.autoanswer) {
    // Music needs a media path: early media, the call stays unanswered (not billed).
    out.push({ application: 'pre_answer' });
  }
  const audio = parkAudio(s);
  if (audio !== undefined) set(PARK_AUDIO_VAR, audio);
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
