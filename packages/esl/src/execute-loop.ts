/**
 * When an execute with `loops` is over. FreeSWITCH (switch_ivr_parse_event) runs the application
 * up to `loops` times, each run between a CHANNEL_EXECUTE and a CHANNEL_EXECUTE_COMPLETE with our
 * Application-UUID and the channel variables current_loop / total_loops, and leaves the loop
 * early, without an event saying so, after a run shorter than 0.5 s or once the channel is gone.
 */
import type { EslEvent } from './event.js';

/** switch_ivr_parse_event stops repeating after a run shorter than this (µs). */
const LOOP_MIN_RUN_MICROS = 500_000;

function integer(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  return Number(text);
}

export class ExecuteLoop {
  readonly #loops: number;
  #runs = 0;
  /** Event-Date-Timestamp of the current run's CHANNEL_EXECUTE. */
  #started: number | undefined;
  /** The completion of the latest run. */
  last: EslEvent | undefined;

  /** `loops`: what the execute asked for. */
  constructor(loops: number) {
    this.#loops = loops;
  }

  onExecute(event: EslEvent): void {
    this.#started = integer(event.getHeader('Event-Date-Timestamp'));
  }

  /**
   * A run completed: whether it was the last. Without the run's start to measure it, it counts as
   * the last: a wait resolved early beats one that never ends.
   */
  onComplete(event: EslEvent): boolean {
    this.last = event;
    this.#runs++;
    const started = this.#started;
    this.#started = undefined;
    // FreeSWITCH's own count where it reports one (channel variables; older versions do not).
    const current = integer(event.getHeader('variable_current_loop')) ?? this.#runs;
    const total = integer(event.getHeader('variable_total_loops')) ?? this.#loops;
    if (total >= 0 && current >= total) return true;
    const ended = integer(event.getHeader('Event-Date-Timestamp'));
    if (started === undefined || ended === undefined) return true;
    // Both events are stamped within FreeSWITCH's own measure of the run: 0.5 s or more here, it
    // repeats (unless stopped from outside); less, it may not — in doubt, the wait ends.
    return ended - started < LOOP_MIN_RUN_MICROS;
  }
}
