/** Park mode as a node card shows it, read from agent.status `park` and `dialplan.status` data. */
import type { ParkView } from './protocol.js';

/** Reads the fields both sources may carry (names as mod_event_agent and fsbus use them). */
export function parkFrom(source: unknown, previous?: ParkView): ParkView {
  if (typeof source !== 'object' || source === null) return previous ?? { available: false };
  const s = source as Record<string, unknown>;
  const out: ParkView = { available: s['available'] !== false };
  const enabled = pickBool(s, 'enabled', 'park_enabled', 'active');
  if (enabled !== undefined) out.enabled = enabled;
  const audio = pickString(s, 'audio', 'audio_mode', 'mode');
  if (audio !== undefined) out.audio = audio;
  const music = pickString(s, 'music_class');
  if (music !== undefined) out.music_class = music;
  const auto = pickBool(s, 'auto_answer', 'autoanswer');
  if (auto !== undefined) out.auto_answer = auto;
  // Nothing that says on/off: an agent without park mode.
  if (out.enabled === undefined) out.available = false;
  return out;
}

function pickBool(s: Record<string, unknown>, ...keys: string[]): boolean | undefined {
  for (const k of keys) if (typeof s[k] === 'boolean') return s[k];
  return undefined;
}

function pickString(s: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = s[k];
    if (typeof v === 'string' && v !== '') return v;
    // `audio: {mode: 'ringback', music_class: …}` is read too.
    if (typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)['mode'] === 'string') return (v as Record<string, string>)['mode'];
  }
  return undefined;
}
