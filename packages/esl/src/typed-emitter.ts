/**
 * A small typed event emitter. Unlike node's EventEmitter, an 'error' without listeners is
 * not thrown, and a listener that throws cannot break the socket's read loop: its error is
 * handed to the `onListenerError` hook instead — as is the rejection of a promise an async
 * listener returns, which would otherwise be an unhandled rejection that ends the process.
 * Protocol input must never crash the process.
 * Node's `events.on`/`events.once` and EventEmitter-style code work with it: `addListener`,
 * `removeListener`, `listeners` and `listenerCount` are there (no `prependListener`, max-listener
 * warnings, `pause`/`resume`, nor a public `emit`).
 */
import type { EventName } from './event-names.js';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => unknown;
/** What a listener returns is ignored, except a promise (an async listener): its rejection is handled as a throw. */
type Returned = unknown;
/** A `once` wrapper remembers what it wraps, so that `off(event, original)` finds it (as node's does). */
type OnceWrapper = Listener & { listener?: Listener };
/** `args`: what the failed listener was called with (the server closes the session its 'session' handler failed on). */
type ListenerErrorHandler = (err: unknown, event: string, args: readonly unknown[]) => void;

/**
 * `Events` maps the known event names to their argument lists; any other name takes `Fallback`
 * (for ESL: an event name like `CHANNEL_ANSWER` with an EslEvent).
 */
/**
 * Any name, the known event names offered first by an editor's completion (`string & {}` keeps
 * the union from collapsing into `string`): a misspelt name still compiles (and is warned about
 * at run time, see listenerAdded).
 */
export type FallbackName = EventName | `CUSTOM::${string}` | (string & {});

export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }, Fallback extends unknown[] = unknown[]> {
  readonly #listeners = new Map<string, Listener[]>();
  #onListenerError: ListenerErrorHandler = () => undefined;

  protected setListenerErrorHandler(fn: ListenerErrorHandler): void {
    this.#onListenerError = fn;
  }

  /**
   * The name a listener is kept under: called when one is added, removed or counted — never by
   * emit(), which looks its name up as given, so dispatch costs no string work.
   */
  protected listenerName(event: string): string {
    return event;
  }

  on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => Returned): this;
  on(event: FallbackName, listener: (...args: Fallback) => Returned): this;
  on(event: string, listener: Listener): this {
    const name = this.listenerName(event);
    const list = this.#listeners.get(name);
    if (list === undefined) {
      this.#listeners.set(name, [listener]);
      this.listenerAdded(name, event);
    } else list.push(listener);
    return this;
  }

  /** The first listener under `name` (as listenerName made it of `event`) was added. */
  protected listenerAdded(_name: string, _event: string): void {}

  once<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => Returned): this;
  once(event: FallbackName, listener: (...args: Fallback) => Returned): this;
  once(event: string, listener: Listener): this {
    const wrapper: OnceWrapper = (...args: unknown[]) => {
      this.off(event, wrapper);
      return listener(...args);
    };
    wrapper.listener = listener;
    return this.on(event, wrapper);
  }

  off<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => Returned): this;
  off(event: FallbackName, listener: (...args: Fallback) => Returned): this;
  off(event: string, listener: Listener): this {
    const name = this.listenerName(event);
    const list = this.#listeners.get(name);
    if (list === undefined) return this;
    // The last one added goes first, as with node's EventEmitter.
    const at = list.findLastIndex((l: OnceWrapper) => l === listener || l.listener === listener);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) this.#listeners.delete(name);
    return this;
  }

  /** EventEmitter's name for `on`: node's `events.on`/`events.once` and emitter-agnostic code call it. */
  addListener<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => Returned): this;
  addListener(event: FallbackName, listener: (...args: Fallback) => Returned): this;
  addListener(event: string, listener: Listener): this {
    return this.on(event, listener);
  }

  /** EventEmitter's name for `off`: node's `events.on`/`events.once` remove their listeners with it. */
  removeListener<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => Returned): this;
  removeListener(event: FallbackName, listener: (...args: Fallback) => Returned): this;
  removeListener(event: string, listener: Listener): this {
    return this.off(event, listener);
  }

  /** A copy of the event's listeners, in call order; a `once` listener as given (not its wrapper), as node's does. */
  listeners<K extends keyof Events & string>(event: K): Array<(...args: Events[K]) => Returned>;
  listeners(event: FallbackName): Array<(...args: Fallback) => Returned>;
  listeners(event: string): Listener[] {
    const list = this.#listeners.get(this.listenerName(event));
    return list === undefined ? [] : list.map((l: OnceWrapper) => l.listener ?? l);
  }

  removeAllListeners(event?: string): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(this.listenerName(event));
    return this;
  }

  listenerCount(event: string): number {
    return this.#listeners.get(this.listenerName(event))?.length ?? 0;
  }

  /** Calls the listeners; returns whether there were any. */
  protected emit<K extends keyof Events & string>(event: K, ...args: Events[K]): boolean;
  protected emit(event: string, ...args: unknown[]): boolean;
  protected emit(event: string, ...args: unknown[]): boolean {
    const list = this.#listeners.get(event);
    if (list === undefined) return false;
    for (const listener of [...list]) {
      try {
        this.catchRejection(listener(...args), event, args);
      } catch (err) {
        this.#onListenerError(err, event, args);
      }
    }
    return true;
  }

  /** What a listener returned: a promise (an async listener) has its rejection handed to the hook. */
  protected catchRejection(result: unknown, event: string, args: readonly unknown[] = []): void {
    if (result === undefined || result === null || typeof (result as PromiseLike<unknown>).then !== 'function') return;
    Promise.resolve(result as PromiseLike<unknown>).catch((err: unknown) => this.#onListenerError(err, event, args));
  }
}
