/**
 * Text from the bus made safe to print. Callers choose much of what FreeSWITCH reports (caller id
 * name and number, destination, user agent, SIP headers) and anyone who may publish on the bus
 * sends any event: printed raw, its escape sequences would drive the operator's terminal (OSC 52
 * writes the clipboard, CSI clears the screen), its newlines forge output lines and its bidi
 * controls reorder what is read. Escaped always, terminal or pipe: piped output ends up in
 * `less -R` or a terminal too.
 *
 * Escaped: C0 controls, DEL, C1 controls (U+0080-U+009F, which 8-bit terminals take as CSI, OSC…),
 * the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the bidi marks
 * (U+200E, U+200F, U+061C: invisible, and they move neutral characters such as `->` and digits)
 * and the line and paragraph separators (U+2028, U+2029, line breaks to some viewers). Zero-width
 * and look-alike characters are left alone: they deceive the eye, they do not drive the terminal.
 * A backslash stays as it is, so the escapes are for reading, not a reversible encoding.
 */

const LINE_UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const LINE_UNSAFE_ALL = new RegExp(LINE_UNSAFE.source, 'g');
/** As LINE_UNSAFE but \n, \t and the CR of a CRLF pass: a lone CR would overwrite the line. */
const TEXT_UNSAFE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\r(?!\n)/;
const TEXT_UNSAFE_ALL = new RegExp(TEXT_UNSAFE.source, 'g');
/** What JSON.stringify leaves raw in its strings, of the above (it escapes C0 itself). */
const JSON_UNSAFE = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const JSON_UNSAFE_ALL = new RegExp(JSON_UNSAFE.source, 'g');

const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function visible(c: string): string {
  const code = c.charCodeAt(0);
  return SHORT[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

const jsonEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** For one line (an event row, a table cell, an error line): every control escaped, newlines too. */
export function terminalLine(text: string): string {
  return LINE_UNSAFE.test(text) ? text.replace(LINE_UNSAFE_ALL, visible) : text;
}

/** For output that is multi-line by nature (FreeSWITCH's `api` output): keeps \n, \t and CRLF. */
export function terminalText(text: string): string {
  return TEXT_UNSAFE.test(text) ? text.replace(TEXT_UNSAFE_ALL, visible) : text;
}

/**
 * JSON.stringify, with DEL, C1, bidi and separator characters as \u escapes: still valid JSON of
 * the same value (raw, they can only be inside strings, where \uXXXX means the same character).
 */
export function terminalJson(value: unknown, indent?: number): string {
  // undefined for undefined or a function: printed as `undefined`, as the template around it did.
  const text = JSON.stringify(value, null, indent) as string | undefined;
  if (text === undefined || !JSON_UNSAFE.test(text)) return String(text);
  return text.replace(JSON_UNSAFE_ALL, jsonEscape);
}
