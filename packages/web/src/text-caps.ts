/**
 * Bounds on the text the dashboard keeps from the bus. Callers choose caller id, destination and
 * (through the SIP From/To) the channel name, and a bus message carries up to 1 MiB: kept whole,
 * 5,000 channel rows of such values took gigabytes and made every page's snapshot fail.
 */
import { clipText } from '@fsbus/contract';

/** Characters kept of a channel row's text (caller, destination, name…); longer ends with "…". */
export const MAX_FIELD_CHARS = 256;
/**
 * Longest channel uuid: FreeSWITCH's own (SWITCH_UUID_FORMATTED_LENGTH, for an origination_uuid
 * of the caller's choosing; its own are 36). A uuid is a key, never cut: a longer one is refused.
 */
export const MAX_UUID_LENGTH = 256;

/** Any character V8 cannot store in one byte. */
const WIDE = /[^\0-\xff]/;

/** `text`, or its first `max - 1` characters and "…": at most `max` in all (never half a surrogate pair). */
export function cutText(text: string, max: number): string {
  return text.length <= max ? text : clipText(text, max - 1);
}

/**
 * Bytes the characters of `text` take in V8: one each, two each once any is past U+00FF (the
 * string is then stored two bytes a character). The test is cheap: V8 answers it for a one-byte
 * string without reading its characters.
 */
export function textBytes(text: string): number {
  return WIDE.test(text) ? 2 * text.length : text.length;
}
