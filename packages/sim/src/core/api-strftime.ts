/**
 * `strftime [<epoch>|]<format>` (mod_dptools' strftime_api_function) in local time, as
 * FreeSWITCH 1.10.12 formats it with the C locale. Its quirks are kept: the character after `|`
 * is skipped (`1700000000| %Y`, not `1700000000|%Y`), no format is `%Y-%m-%d %T`, and a format
 * using a conversion switch_strftime does not allow (or a result of 80 bytes and more) gives nothing.
 */
import type { ApiHandler } from './api.js';
import { atol } from './c-num.js';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** switch_strftime's allowed conversions. */
const ALLOWED = new Set('CDrRTeaAbBcdHIjmMpSUwWxXyYzZ%');
const BUFFER_BYTES = 80;

const pad = (n: number, width = 2, fill = '0'): string => String(n).padStart(width, fill);

function dayOfYear(d: Date): number {
  return Math.round((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 1)) / 86_400_000);
}

/** The zone's abbreviation as the runtime knows it (glibc's tzname may spell some differently). */
function zoneName(d: Date): string {
  return new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? '';
}

function conversion(c: string, d: Date): string {
  const h = d.getHours();
  const yday = dayOfYear(d);
  switch (c) {
    case 'a': return DAYS[d.getDay()]!.slice(0, 3);
    case 'A': return DAYS[d.getDay()]!;
    case 'b': return MONTHS[d.getMonth()]!.slice(0, 3);
    case 'B': return MONTHS[d.getMonth()]!;
    case 'c': return format('%a %b %e %H:%M:%S %Y', d);
    case 'C': return pad(Math.floor(d.getFullYear() / 100));
    case 'd': return pad(d.getDate());
    case 'D': case 'x': return format('%m/%d/%y', d);
    case 'e': return pad(d.getDate(), 2, ' ');
    case 'H': return pad(h);
    case 'I': return pad(h % 12 === 0 ? 12 : h % 12);
    case 'j': return pad(yday + 1, 3);
    case 'm': return pad(d.getMonth() + 1);
    case 'M': return pad(d.getMinutes());
    case 'p': return h < 12 ? 'AM' : 'PM';
    case 'r': return format('%I:%M:%S %p', d);
    case 'R': return format('%H:%M', d);
    case 'S': return pad(d.getSeconds());
    case 'T': case 'X': return format('%H:%M:%S', d);
    case 'U': return pad(Math.floor((yday + 7 - d.getDay()) / 7));
    case 'w': return String(d.getDay());
    case 'W': return pad(Math.floor((yday + 7 - ((d.getDay() + 6) % 7)) / 7));
    case 'y': return pad(d.getFullYear() % 100);
    case 'Y': return String(d.getFullYear());
    case 'z': {
      const off = -d.getTimezoneOffset();
      return `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
    }
    case 'Z': return zoneName(d);
    default: return '%';
  }
}

function format(fmt: string, d: Date): string {
  return fmt.replace(/%(.)/gs, (_m, c: string) => conversion(c, d));
}

/** switch_strftime: every `%` must introduce an allowed conversion. */
function checked(fmt: string): boolean {
  for (let i = 0; i < fmt.length; i++) {
    if (fmt[i] !== '%') continue;
    if (!ALLOWED.has(fmt[i + 1] ?? '')) return false;
    i++;
  }
  return true;
}

export const strftimeApi: ApiHandler = (host, args) => {
  let micros = host.engine.now();
  let fmt = args;
  const bar = args.indexOf('|');
  if (bar >= 0) {
    micros = atol(args.slice(0, bar)) * 1_000_000;
    fmt = args.slice(bar + 2);
  }
  if (fmt !== '' && !checked(fmt)) return '';
  const text = format(fmt === '' ? '%Y-%m-%d %T' : fmt, new Date(Math.floor(micros / 1000)));
  return Buffer.byteLength(text) < BUFFER_BYTES ? text : '';
};
