/**
 * `fsbus events` flags, checked before connecting as the client would check them after (a usage
 * error, exit 2, also when the broker is down): --from, --durable/--stream names, the patterns,
 * and --from/--durable on a driver without durable streams.
 */
import { buildSubjects } from '@fsbus/contract';
import { eventSubject, streamNameOption } from '@fsbus/client';
import { streamRetention, type ReplayFrom } from '@fsbus/transport';
import { str, UsageError, type BusContext, type Connection } from './global-options.js';

/** `2026-01-01`, `2026-01-01T10:00`, `2026-01-01T10:00:00.5Z`, `2026-01-01 10:00:00+02:00`. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Whether the text's `YYYY-MM-DD` is a day of the calendar: `new Date` rolls 2026-02-30 over to 2 March. */
function isCalendarDate(text: string): boolean {
  const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/** --from as events()' `from`; a sequence starts at 1, as the client's replayFromOption wants. */
export function replayFrom(text: string): ReplayFrom {
  if (text === 'all' || text === 'new') return text;
  if (/^[1-9]\d*$/.test(text) && Number.isSafeInteger(Number(text))) return { sequence: Number(text) };
  // ISO 8601 only: `new Date('May 5')` is 5 May 2001, which would replay the whole stream.
  const t = ISO_TIME.test(text) && isCalendarDate(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(t.getTime())) throw new UsageError(`--from must be all, new, a sequence number >= 1 or an ISO time, got ${JSON.stringify(text)}`);
  return { time: t };
}

export function checkEventsFlags(values: BusContext['values'], patterns: readonly string[], connection: Connection): void {
  const format = str(values, 'format');
  if (format !== undefined && format !== 'pretty' && format !== 'json') throw new UsageError('--format must be pretty or json');
  const count = str(values, 'count');
  if (count !== undefined && !/^[1-9]\d*$/.test(count)) throw new UsageError('--count must be a positive integer');
  const from = str(values, 'from');
  if (from !== undefined) replayFrom(from);
  const driver = connection.driver.toLowerCase();
  const durable = str(values, 'durable');
  // The client's own checks (JetStream's name rules on nats): their messages are the usage line.
  streamNameOption(durable, '--durable', driver === 'nats');
  streamNameOption(str(values, 'stream'), '--stream', driver === 'nats');
  if (from === undefined && durable === undefined) {
    if (str(values, 'stream') !== undefined) throw new UsageError('--stream goes with --from or --durable (live events are read from no stream)');
  } else if (streamRetention(driver) === undefined) {
    // The transport's table of durable streams: no driver module (and its broker library) loaded to ask.
    throw new UsageError(`${from !== undefined ? '--from' : '--durable'} needs the agent's event stream: the ${driver} driver has no durable streams`);
  }
  // The client's own check (bad tokens, too long a subject), with this prefix: its message is the usage line.
  const subjects = buildSubjects(connection.prefix);
  for (const p of patterns) eventSubject({ subjects }, p);
}
