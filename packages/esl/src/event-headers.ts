/**
 * What every event encoding shares: the decoded shape, the lazy header source the frame reader
 * hands out, and FreeSWITCH's `ARRAY::a|:b` header values.
 */

export type EventFormat = 'plain' | 'json' | 'xml';
export type HeaderList = Iterable<readonly [string, string]>;

export interface DecodedEvent {
  headers: Map<string, string>;
  body: string | undefined;
}

const ARRAY_PREFIX = 'ARRAY::';
const ARRAY_SEPARATOR = '|:';

export function splitArrayValue(value: string): string[] | undefined {
  return value.startsWith(ARRAY_PREFIX) ? value.slice(ARRAY_PREFIX.length).split(ARRAY_SEPARATOR) : undefined;
}

export function joinArrayValue(items: readonly string[]): string {
  return ARRAY_PREFIX + items.join(ARRAY_SEPARATOR);
}

/**
 * An event's headers before anyone has asked for all of them. `get` must answer exactly what
 * `materialize().get(name)` would; decoding errors are raised when the source is built, never
 * later, so laziness changes the cost of reading an event and nothing else.
 */
export interface HeaderSource {
  get(name: string): string | undefined;
  materialize(): Map<string, string>;
  /** Calls `fn` for each pair `materialize()` would hold, in its order, without building it; absent when the source cannot. */
  forEach?(fn: (value: string, name: string) => void): void;
  /** Lookups worth serving through `get` before building the Map is cheaper. */
  readonly lookupLimit: number;
  /**
   * The headers as JSON text equal to `JSON.stringify(Object.fromEntries(materialize()))` once
   * parsed, when the source can give it without building anything; `undefined` otherwise.
   */
  jsonText?(): string | undefined;
}

// ---------------------------------------------------------------- plain
