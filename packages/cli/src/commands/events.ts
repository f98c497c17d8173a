/** `fsbus events [pattern…]`: prints events as they come, like `nats sub`; Ctrl-C stops. */
import { terminalJson, terminalLine } from '@fsbus/contract';
import { eventSubject, type EventPattern, type EventsOptions } from '@fsbus/client';
import type { CliCommand } from '../command.js';
import { colors, formatEventLine } from '../bus/format.js';
import { checkEventsFlags, replayFrom } from '../bus/events-flags.js';
import { ExitCode, globalHelp, runBusCommand, str } from '../bus/global-options.js';
import { MalformedWarnings } from './malformed-warnings.js';

const HELP = `usage: fsbus events [pattern…] [options]

Prints bus events, one line each. Patterns are event topics relative to <prefix>.events:
channel.answer, channel.>, custom.sofia.register, or FreeSWITCH names (CHANNEL_ANSWER).
Default: every event (>). A message that is not an fsbus event is skipped and said on stderr
(the first at once, then counted by subject at most every 10 s, and the total at the end).

options:
  --format <pretty|json>   one colored line per event (default), or the event JSON per line
  --count <n>              exit after n events
  --node <id>              only this node's events
  --from <all|new|seq|time>  replay from the agent's event stream (JetStream): all, new, a
                           sequence number or an ISO time
  --durable <name>         read as a durable consumer: resumes where it stopped last time
                           (a name keeps the pattern it was first used with)
  --stream <name>          with --from or --durable: the stream's name (default <PREFIX>_EVENTS)

examples:
  fsbus events
  fsbus events 'channel.>'
  fsbus events channel.answer channel.hangup.complete --node fs-01
  fsbus events custom.sofia.register --format json --count 10
  fsbus events 'channel.>' --from 2026-01-01T00:00:00Z

${globalHelp('no reply timeout: events waits for events, not for replies')}`;

export const eventsCommand: CliCommand = {
  help: HELP,
  run: (argv, io) =>
    runBusCommand(
      {
        name: 'events',
        help: HELP,
        options: {
          format: { type: 'string' },
          count: { type: 'string' },
          node: { type: 'string' },
          from: { type: 'string' },
          durable: { type: 'string' },
          stream: { type: 'string' },
        },
        check: (values, positionals, connection) => checkEventsFlags(values, positionals, connection),
        async run({ values, positionals, bus, io: out }) {
          const patterns = (positionals.length === 0 ? ['>'] : positionals) as EventPattern[];
          const opts: EventsOptions = {};
          const node = str(values, 'node');
          if (node !== undefined) opts.node = node;
          const from = str(values, 'from');
          if (from !== undefined) opts.from = replayFrom(from);
          const durable = str(values, 'durable');
          if (durable !== undefined) opts.durable = durable;
          const stream = str(values, 'stream');
          if (stream !== undefined) opts.stream = stream;
          const count = str(values, 'count');
          const limit = count === undefined ? Number.POSITIVE_INFINITY : Number(count);
          const json = str(values, 'format') === 'json';
          const durableOrReplay = opts.durable !== undefined || opts.from !== undefined;
          // Per stream: `fsbus events 2>events.log` on a terminal keeps escape codes out of the log.
          const c = colors(process.env, process.stdout.isTTY === true);
          const note = colors(process.env, process.stderr.isTTY === true);
          // Messages that are not events are skipped, never silently: stderr says so (throttled).
          // Their subjects and reasons are the publisher's: escaped.
          const malformed = new MalformedWarnings((line) => out.err(note.yellow(terminalLine(line))));
          opts.onMalformed = (m) => malformed.note(m);
          const events = bus.events(patterns, opts);
          const stop = (): void => void events.close();
          // The driver reconnects by itself (NATS: forever): say so on stderr, keep listening. A
          // driver that gives up (closed under us) ends the command with exit 3.
          let away = false;
          let gaveUp = false;
          const offStatus = bus.driver.on((ev) => {
            if (ev.type !== 'status') return;
            if (ev.status === 'reconnecting' && !away) {
              away = true;
              const missed = durableOrReplay ? 'events published meanwhile follow once back' : 'events published meanwhile are missed';
              out.err(note.yellow(`fsbus events: the broker connection was lost; reconnecting (${missed})`));
            } else if (ev.status === 'connected' && away) {
              away = false;
              out.err(note.green(`fsbus events: reconnected${ev.server === undefined ? '' : ` to ${terminalLine(ev.server)}`}`));
            } else if (ev.status === 'closed') {
              gaveUp = true;
              stop();
            }
          });
          // Ctrl-C reaches this process twice when bin/fsbus.js runs it as a child (the terminal's
          // and the launcher's forwarded one): the second must not kill it mid-close. A third forces it.
          let signals = 0;
          const onSignal = (): void => {
            if (++signals >= 3) process.exit(130);
            stop();
          };
          process.on('SIGINT', onSignal);
          process.on('SIGTERM', onSignal);
          // `fsbus events | head`: a closed pipe ends the stream instead of crashing the process;
          // any other write failure (a full disk) ends it too, said on stderr, exit 1.
          let outputFailed: Error | undefined;
          const onOutputError = (err: NodeJS.ErrnoException): void => {
            if (err.code !== 'EPIPE') outputFailed = err;
            stop();
          };
          process.stdout.on('error', onOutputError);
          let seen = 0;
          try {
            await events.ready;
            // On stderr, so stdout stays one event per line (also for --format json).
            out.err(note.dim(`listening on ${patterns.map((p) => eventSubject(bus, p)).join(', ')} (Ctrl-C stops)`));
            for await (const e of events) {
              out.out(json ? terminalJson(e) : formatEventLine(e, c));
              // Printed is handled: a durable stream must not give it again on the next run (the
              // SDK acknowledges only when the loop asks for the next one, and --count or Ctrl-C never asks).
              events.ack();
              if (++seen >= limit) break;
            }
          } finally {
            offStatus();
            process.stdout.off('error', onOutputError);
            // Once a write failed, the ones still buffered (and the exit's flush) fail too: a
            // listener stays, so main's guard does not say it a second time (said once, below).
            if (outputFailed !== undefined) process.stdout.on('error', () => undefined);
            await events.close();
            malformed.close();
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
          }
          if (events.dropped > 0) out.err(`fsbus events: ${events.dropped} events dropped (output too slow)`);
          if (outputFailed !== undefined) {
            out.err(`fsbus events: cannot write the output: ${outputFailed.message}`);
            return ExitCode.FAILED;
          }
          if (gaveUp) {
            out.err('fsbus events: the broker connection was lost and the driver gave up');
            return ExitCode.UNREACHABLE;
          }
          return ExitCode.OK;
        },
      },
      argv,
      io,
    ),
};
