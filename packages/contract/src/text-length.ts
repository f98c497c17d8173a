/**
 * A user-given text shown in a message, cut: never between the two UTF-16 units of one character
 * (an emoji), which would leave half of it (`\ud83d` once the message is JSON).
 */

/** `text` cut to at most `max` UTF-16 units and marked `…` when cut, never inside a surrogate pair. */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  const lastKept = text.charCodeAt(max - 1);
  const end = lastKept >= 0xd800 && lastKept <= 0xdbff ? max - 1 : max;
  // join, not slice + "…": V8 keeps a slice (and a concatenation of it) as a view of the whole
  // original, so a short text kept would hold the megabyte it came from.
  return [text.slice(0, end), '…'].join('');
}
