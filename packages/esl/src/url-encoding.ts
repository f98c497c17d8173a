/**
 * FreeSWITCH's URL encoding of header values (switch_url_encode / esl_url_decode), in both
 * directions. Decoding never throws: a bad `%` escape stays literal, invalid UTF-8 becomes
 * U+FFFD, and `+` is never a space (FreeSWITCH does not encode spaces as `+`).
 */

// Printable ASCII that FreeSWITCH escapes, besides bytes < 0x20 and > 0x7e.
const UNSAFE = new Set([...'\r\n "#%&+:;<=>?@[\\]^`{|}'].map((c) => c.charCodeAt(0)));
const HEX_UPPER = '0123456789ABCDEF';

function isUpperHex(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x46);
}

function needsEscape(byte: number): boolean {
  return byte < 0x20 || byte > 0x7e || UNSAFE.has(byte);
}

/**
 * Encodes a header value as FreeSWITCH writes it in `text/event-plain` and `text/event-xml`.
 * Like FreeSWITCH (double_encode off), an existing `%XX` escape with upper-case hex digits is
 * passed through untouched, so `%41` stays `%41` on the wire.
 */
export function fsUrlEncode(value: string): string {
  let i = 0;
  // Fast path: nothing to escape (the common case for names, numbers, uuids).
  for (; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (needsEscape(c)) break;
  }
  if (i === value.length) return value;

  const bytes = Buffer.from(value, 'utf8');
  let out = '';
  for (let p = 0; p < bytes.length; p++) {
    const b = bytes[p]!;
    if (b === 0x25 && p + 2 < bytes.length && isUpperHex(bytes[p + 1] ?? 0) && isUpperHex(bytes[p + 2] ?? 0)) {
      out += '%';
    } else if (needsEscape(b)) {
      out += '%' + HEX_UPPER[b >> 4]! + HEX_UPPER[b & 0x0f]!;
    } else {
      out += String.fromCharCode(b);
    }
  }
  return out;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/** Decodes `%XX` escapes; never throws, never maps `+` to a space. */
export function fsUrlDecode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return tolerantDecode(value);
  }
}

// Byte-level decode for input decodeURIComponent rejects (bad escapes, invalid UTF-8).
function tolerantDecode(value: string): string {
  const src = Buffer.from(value, 'utf8');
  const out = Buffer.allocUnsafe(src.length);
  let o = 0;
  for (let p = 0; p < src.length; p++) {
    const b = src[p]!;
    if (b === 0x25 && p + 2 < src.length) {
      const hi = hexValue(src[p + 1]!);
      const lo = hexValue(src[p + 2]!);
      if (hi >= 0 && lo >= 0) {
        out[o++] = (hi << 4) | lo;
        p += 2;
        continue;
      }
    }
    out[o++] = b;
  }
  return out.toString('utf8', 0, o);
}
