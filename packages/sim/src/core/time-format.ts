/** FreeSWITCH's date formats, from the captures. */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');

/** `2026-11-22 06:28:05` in local time (Event-Date-Local, *_stamp variables, show channels). */
export function localStamp(micros: number): string {
  const d = new Date(Math.floor(micros / 1000));
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
}

/** `Sun, 22 Nov 2026 06:28:05 GMT` (Event-Date-GMT). */
export function gmtStamp(micros: number): string {
  const d = new Date(Math.floor(micros / 1000));
  return `${DAYS[d.getUTCDay()] ?? ''}, ${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()] ?? ''} ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} GMT`;
}

/** `2026-11-22 06:28:05.424395` (log line prefix). */
export function logStamp(micros: number): string {
  return `${localStamp(micros)}.${String(Math.floor(micros) % 1_000_000).padStart(6, '0')}`;
}

/** `0 years, 0 days, 0 hours, 1 minute, 19 seconds, 821 milliseconds, 810 microseconds`. */
export function upTimeText(micros: number): string {
  let rest = Math.max(0, Math.floor(micros));
  const us = rest % 1000; rest = Math.floor(rest / 1000);
  const ms = rest % 1000; rest = Math.floor(rest / 1000);
  const s = rest % 60; rest = Math.floor(rest / 60);
  const m = rest % 60; rest = Math.floor(rest / 60);
  const h = rest % 24; rest = Math.floor(rest / 24);
  const d = rest % 365;
  const y = Math.floor(rest / 365);
  const unit = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
  return [
    unit(y, 'year', 'years'), unit(d, 'day', 'days'), unit(h, 'hour', 'hours'), unit(m, 'minute', 'minutes'),
    unit(s, 'second', 'seconds'), unit(ms, 'millisecond', 'milliseconds'), unit(us, 'microsecond', 'microseconds'),
  ].join(', ');
}
