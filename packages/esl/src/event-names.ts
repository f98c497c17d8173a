/** FreeSWITCH's event types (switch_event_types_t), in FreeSWITCH's order. */
export const EVENT_NAMES = [
  'CUSTOM', 'CLONE', 'CHANNEL_CREATE', 'CHANNEL_DESTROY', 'CHANNEL_STATE', 'CHANNEL_CALLSTATE',
  'CHANNEL_ANSWER', 'CHANNEL_HANGUP', 'CHANNEL_HANGUP_COMPLETE', 'CHANNEL_EXECUTE',
  'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HOLD', 'CHANNEL_UNHOLD', 'CHANNEL_BRIDGE', 'CHANNEL_UNBRIDGE',
  'CHANNEL_PROGRESS', 'CHANNEL_PROGRESS_MEDIA', 'CHANNEL_OUTGOING', 'CHANNEL_PARK', 'CHANNEL_UNPARK',
  'CHANNEL_APPLICATION', 'CHANNEL_ORIGINATE', 'CHANNEL_UUID', 'API', 'LOG', 'INBOUND_CHAN',
  'OUTBOUND_CHAN', 'STARTUP', 'SHUTDOWN', 'PUBLISH', 'UNPUBLISH', 'TALK', 'NOTALK', 'SESSION_CRASH',
  'MODULE_LOAD', 'MODULE_UNLOAD', 'DTMF', 'MESSAGE', 'PRESENCE_IN', 'NOTIFY_IN', 'PRESENCE_OUT',
  'PRESENCE_PROBE', 'MESSAGE_WAITING', 'MESSAGE_QUERY', 'ROSTER', 'CODEC', 'BACKGROUND_JOB',
  'DETECTED_SPEECH', 'DETECTED_TONE', 'PRIVATE_COMMAND', 'HEARTBEAT', 'TRAP', 'ADD_SCHEDULE',
  'DEL_SCHEDULE', 'EXE_SCHEDULE', 'RE_SCHEDULE', 'RELOADXML', 'NOTIFY', 'PHONE_FEATURE',
  'PHONE_FEATURE_SUBSCRIBE', 'SEND_MESSAGE', 'RECV_MESSAGE', 'REQUEST_PARAMS', 'CHANNEL_DATA',
  'GENERAL', 'COMMAND', 'SESSION_HEARTBEAT', 'CLIENT_DISCONNECTED', 'SERVER_DISCONNECTED',
  'SEND_INFO', 'RECV_INFO', 'RECV_RTCP_MESSAGE', 'SEND_RTCP_MESSAGE', 'CALL_SECURE', 'NAT',
  'RECORD_START', 'RECORD_STOP', 'PLAYBACK_START', 'PLAYBACK_STOP', 'CALL_UPDATE', 'FAILURE',
  'SOCKET_DATA', 'MEDIA_BUG_START', 'MEDIA_BUG_STOP', 'CONFERENCE_DATA_QUERY', 'CONFERENCE_DATA',
  'CALL_SETUP_REQ', 'CALL_SETUP_RESULT', 'CALL_DETAIL', 'DEVICE_STATE', 'TEXT', 'SHUTDOWN_REQUESTED',
  'ALL',
] as const;

/** A FreeSWITCH event name. */
export type EventName = (typeof EVENT_NAMES)[number];

const KNOWN: ReadonlySet<string> = new Set(EVENT_NAMES);

export function isEventName(name: string): name is EventName {
  return KNOWN.has(name);
}

/**
 * The event type a word of `event` / `nixevent` names, as FreeSWITCH's switch_name_event reads
 * it: case-insensitive, with or without the `SWITCH_EVENT_` prefix; undefined when it names none
 * (FreeSWITCH then ignores the word, unless it follows `CUSTOM`).
 */
export function eventNameOf(word: string): EventName | undefined {
  const upper = word.toUpperCase();
  if (KNOWN.has(upper)) return upper as EventName;
  // switch_name_event compares everything past the 13th character, whatever those 13 are.
  const tail = word.length > 13 ? upper.slice(13) : '';
  return KNOWN.has(tail) ? (tail as EventName) : undefined;
}

/**
 * The name a listener (or an iterator's name) is kept under, as the dispatcher emits it: a
 * CUSTOM subclass as `custom::<subclass>` (modesl's `CUSTOM::<subclass>` too: the prefix in any
 * case, the subclass as given — FreeSWITCH matches subclasses exactly), an event type by its
 * canonical name (eventNameOf), anything else as given. Called when a listener is added, not per event.
 */
export function listenerEventName(name: string): string {
  if (name.length >= 8 && name.charCodeAt(6) === 0x3a && name.charCodeAt(7) === 0x3a && name.slice(0, 6).toLowerCase() === 'custom') {
    return `custom::${name.slice(8)}`;
  }
  return eventNameOf(name) ?? name;
}

/** A word of `event` / `nixevent` as mod_event_socket reads it: an event type, or a CUSTOM subclass. */
export type EventWord = { name: EventName; subclass?: undefined } | { name?: undefined; subclass: string };

/**
 * The words of an `event` / `nixevent` command as mod_event_socket reads them: names through
 * eventNameOf (unknown ones skipped), and every word after `CUSTOM` a subclass.
 */
export function* eventWords(words: readonly string[]): Generator<EventWord> {
  let custom = false;
  for (const word of words) {
    if (custom) {
      yield { subclass: word };
      continue;
    }
    const name = eventNameOf(word);
    if (name === undefined) continue;
    yield { name };
    if (name === 'CUSTOM') custom = true;
  }
}

/** The event types `myevents` turns on (mod_event_socket.c, parse_command "myevents"): no BACKGROUND_JOB. */
export const MYEVENTS_NAMES: readonly EventName[] = [
  'CHANNEL_ANSWER', 'CHANNEL_APPLICATION', 'CHANNEL_BRIDGE', 'CHANNEL_CREATE', 'CHANNEL_DATA', 'CHANNEL_DESTROY',
  'CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_HANGUP', 'CHANNEL_HANGUP_COMPLETE', 'CHANNEL_ORIGINATE',
  'CHANNEL_UUID', 'CHANNEL_OUTGOING', 'CHANNEL_PARK', 'CHANNEL_PROGRESS', 'CHANNEL_PROGRESS_MEDIA', 'CHANNEL_STATE',
  'CHANNEL_UNBRIDGE', 'CHANNEL_UNPARK', 'DETECTED_SPEECH', 'DTMF', 'NOTALK', 'TALK',
];
