/** C's number parsing as FreeSWITCH's sources call it: leading blanks, an optional sign, digits; anything else reads as 0. */

const LEADING_INTEGER = /^[ \t\n\v\f\r]*([+-]?\d+)/;

/** C's atol (a 64-bit long on FreeSWITCH's platforms). */
export function atol(text: string): number {
  const m = LEADING_INTEGER.exec(text);
  return m === null ? 0 : Number.parseInt(m[1]!, 10);
}

/** C's atoi: atol wrapped to a 32-bit int. */
export function atoi(text: string): number {
  return atol(text) | 0;
}
