/**
 * Park mode on the wire: the audio modes `dialplan.audio` takes and the data of `dialplan.status`
 * (every `dialplan.*` reply's, and `agent.status` `park`). The agent builds it, the SDK checks it.
 */
export const PARK_AUDIO_MODES = ['silence', 'ringback', 'music'] as const;
export type ParkAudioMode = (typeof PARK_AUDIO_MODES)[number];

export interface ParkStatus {
  /** The agent has its mod_xml_curl endpoint (`dialplan.port`). */
  available: boolean;
  /** The endpoint's URL, null without one. */
  endpoint: string | null;
  /** Park mode on. */
  enabled: boolean;
  mode: ParkAudioMode;
  music_class: string;
  autoanswer: boolean;
  /** Parked calls are hung up after this many seconds; 0 = never. */
  timeout_seconds: number;
  /** The hangup cause of that timeout. */
  timeout_cause: string;
  /** Calls parked by the agent's extension since it started (CHANNEL_PARK events, not lookups). */
  calls_parked: number;
  /** Calls parked by it now. */
  parked_now: number;
  /** mod_xml_curl lookups answered, and those answered with the park extension. */
  lookups: number;
  lookups_parked: number;
  /** `dialplan.state_file`, null without one. */
  state_file: string | null;
}
