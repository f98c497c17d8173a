/**
 * `dialplan.enable` / `disable` / `audio` / `autoanswer` / `timeout` / `status` (SPEC §3.4):
 * park mode, served to FreeSWITCH by the agent's mod_xml_curl endpoint. Messages are
 * mod_event_agent's; validation runs before anything else.
 */
import { BusErrorCode, hangupCause, type BusRequest } from '@fsbus/contract';
import type { ParkManager } from '../dialplan/park-manager.js';
import { DEFAULT_PARK_SETTINGS, MAX_PARK_TIMEOUT_SECONDS, ParkMessage, isAudioMode, musicClassError, type ParkSettings } from '../dialplan/park-settings.js';
import { optionalString, optionalValue } from './field-messages.js';
import type { CommandHandler, CommandResult } from './registry.js';

const invalid = (message: string): CommandResult => ({ ok: false, code: BusErrorCode.INVALID_ARGUMENT, message });

/** Applies a validated change; without the endpoint only `disable` is (nothing is served to FreeSWITCH). */
async function apply(park: ParkManager, patch: Partial<ParkSettings>, message: string): Promise<CommandResult> {
  if (!park.available && !(Object.keys(patch).length === 1 && patch.enabled === false)) {
    return { ok: false, code: BusErrorCode.PARK_UNAVAILABLE, message: 'Park mode needs the dialplan endpoint (set dialplan.port in the agent config)', data: park.status() };
  }
  try {
    await park.update(patch);
  } catch (err) {
    return { ok: false, code: BusErrorCode.INTERNAL, message: `Park state applied but not saved: ${(err as Error).message}`, data: park.status() };
  }
  return { ok: true, message, data: park.status() };
}

export function createDialplanCommands(park: ParkManager): CommandHandler[] {
  const handler = (name: string, run: (request: BusRequest) => Promise<CommandResult>): CommandHandler => ({ name, run: (request) => run(request) });
  return [
    handler('dialplan.enable', () => apply(park, { enabled: true }, ParkMessage.ENABLED)),
    handler('dialplan.disable', () => apply(park, { enabled: false }, ParkMessage.DISABLED)),
    handler('dialplan.audio', (request) => {
      const mode = request.fields['mode'];
      if (!isAudioMode(mode)) return Promise.resolve(invalid(ParkMessage.BAD_MODE));
      const patch: Partial<ParkSettings> = { mode };
      const musicClass = optionalString(request.fields, 'music_class');
      if (typeof musicClass === 'object') return Promise.resolve(invalid(musicClass.error));
      if (musicClass !== undefined) {
        const err = musicClassError(musicClass);
        if (err !== undefined) return Promise.resolve(invalid(err));
        patch.music_class = musicClass;
      }
      return apply(park, patch, ParkMessage.AUDIO);
    }),
    handler('dialplan.autoanswer', (request) => {
      const enabled = request.fields['enabled'];
      if (typeof enabled !== 'boolean') return Promise.resolve(invalid(ParkMessage.BAD_ENABLED));
      return apply(park, { autoanswer: enabled }, ParkMessage.AUTOANSWER);
    }),
    handler('dialplan.timeout', (request) => {
      const seconds = request.fields['seconds'];
      if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0 || seconds > MAX_PARK_TIMEOUT_SECONDS) {
        return Promise.resolve(invalid(ParkMessage.BAD_SECONDS));
      }
      // A timeout set without a cause takes the default one, not the cause of an earlier timeout.
      let cause = DEFAULT_PARK_SETTINGS.timeout_cause;
      // "" and 0 (NONE) are an unset cause; `seconds` 0 is a value (no timeout), so it stays required.
      const rawCause = optionalValue(request.fields, 'cause', ['', 0]);
      if (rawCause !== undefined) {
        const given = hangupCause(rawCause);
        if (given === undefined) return Promise.resolve(invalid(ParkMessage.BAD_CAUSE));
        cause = given;
      }
      return apply(park, { timeout_seconds: seconds, timeout_cause: cause }, ParkMessage.TIMEOUT);
    }),
    handler('dialplan.status', () => Promise.resolve({ ok: true, message: ParkMessage.STATUS, data: park.status() })),
  ];
}
