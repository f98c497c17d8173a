/** switch_strip_whitespace: CR, LF, tab, space and vertical tab off both ends (not form feed). */
export function stripWhitespace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isStripped(text.charCodeAt(start))) start++;
  while (end > start && isStripped(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

function isStripped(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 11 || c === 13;
}
