/**
 * Park mode settings (SPEC §3.4 dialplan.*): what the agent's mod_xml_curl endpoint serves while
 * park mode is on. Pure values and their validation; the manager owns the live copy.
 */
import { BAD_CAUSE, hangupCause, PARK_AUDIO_MODES, type ParkAudioMode } from '@fsbus/contract';

export { PARK_AUDIO_MODES, type ParkAudioMode };

export interface ParkSettings {
  /** Park every call FreeSWITCH routes through the endpoint. @default false */
  enabled: boolean;
  /** @default 'silence' */
  mode: ParkAudioMode;
  /** The local_stream class of `music` mode. @default 'moh' */
  music_class: string;
  /** Answer before parking. @default false */
  autoanswer: boolean;
  /** Hang a parked call up after this many seconds; 0 = never. @default 0 */
  timeout_seconds: number;
  /** The hangup cause of that timeout. @default 'ALLOTTED_TIMEOUT' */
  timeout_cause: string;
}

export const DEFAULT_PARK_SETTINGS: Readonly<ParkSettings> = Object.freeze({
  enabled: false,
  mode: 'silence',
  music_class: 'moh',
  autoanswer: false,
  timeout_seconds: 0,
  timeout_cause: 'ALLOTTED_TIMEOUT',
});

/** The longest park timeout accepted (one day). */
export const MAX_PARK_TIMEOUT_SECONDS = 86_400;

/** mod_event_agent's messages (SPEC §3.4), matched on by clients. */
export const ParkMessage = {
  ENABLED: 'Park mode enabled',
  DISABLED: 'Park mode disabled',
  AUDIO: 'Audio mode updated',
  AUTOANSWER: 'Auto-answer updated',
  TIMEOUT: 'Park timeout updated',
  STATUS: 'Dialplan status retrieved',
  BAD_MODE: 'Invalid mode. Use silence, ringback, or music',
  BAD_ENABLED: 'enabled must be a boolean flag',
  MUSIC_CLASS_TOO_LONG: 'music_class must be 63 characters or fewer',
  MUSIC_CLASS_CHARS: 'music_class must contain only letters, digits, _, ., / and -',
  BAD_SECONDS: `seconds must be an integer between 0 and ${MAX_PARK_TIMEOUT_SECONDS}`,
  BAD_CAUSE,
} as const;

export function isAudioMode(v: unknown): v is ParkAudioMode {
  return typeof v === 'string' && (PARK_AUDIO_MODES as readonly string[]).includes(v);
}

/** A music class is spliced into `local_stream://<class>`: one path-like token. */
export function musicClassError(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length === 0) return ParkMessage.MUSIC_CLASS_CHARS;
  if (v.length > 63) return ParkMessage.MUSIC_CLASS_TOO_LONG;
  return /^[A-Za-z0-9_./-]+$/.test(v) ? undefined : ParkMessage.MUSIC_CLASS_CHARS;
}


/** Settings read back from a state file: anything malformed is refused, with the field named. */
export function parseSettings(value: unknown): ParkSettings | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const v = value as Record<string, unknown>;
  const s: ParkSettings = { ...DEFAULT_PARK_SETTINGS };
  if (v['enabled'] !== undefined) {
    if (typeof v['enabled'] !== 'boolean') return 'enabled must be a boolean';
    s.enabled = v['enabled'];
  }
  if (v['mode'] !== undefined) {
    if (!isAudioMode(v['mode'])) return 'mode must be silence, ringback or music';
    s.mode = v['mode'];
  }
  if (v['music_class'] !== undefined) {
    const err = musicClassError(v['music_class']);
    if (err !== undefined) return err;
    s.music_class = v['music_class'] as string;
  }
  if (v['autoanswer'] !== undefined) {
    if (typeof v['autoanswer'] !== 'boolean') return 'autoanswer must be a boolean';
    s.autoanswer = v['autoanswer'];
  }
  if (v['timeout_seconds'] !== undefined) {
    const t = v['timeout_seconds'];
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > MAX_PARK_TIMEOUT_SECONDS) return ParkMessage.BAD_SECONDS;
    s.timeout_seconds = t;
  }
  if (v['timeout_cause'] !== undefined) {
    const stored = v['timeout_cause'];
    const cause = hangupCause(stored);
    // Saved by an older agent, which took any CAUSE-like name: FreeSWITCH hung up with
    // NORMAL_CLEARING for one it does not know, so that is what it keeps meaning (not a failed start).
    if (cause === undefined && !(typeof stored === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(stored))) return ParkMessage.BAD_CAUSE;
    s.timeout_cause = cause ?? 'NORMAL_CLEARING';
  }
  return s;
}
