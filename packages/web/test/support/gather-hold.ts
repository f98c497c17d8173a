/**
 * One gather of a test bus held once its answers are in, until the test lets it go: what the test
 * does meanwhile (an agent's goodbye) comes between a poll's answers and the dashboard's use of them.
 */
export class GatherHold {
  #next: { gathered: () => void; released: Promise<void> } | undefined;

  /** The next gather completes, then waits for `release`; `gathered` resolves when its answers are in. */
  holdNext(): { gathered: Promise<void>; release: () => void } {
    let release: () => void = () => undefined;
    let gathered: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (gathered = resolve));
    this.#next = { gathered, released: new Promise<void>((resolve) => (release = resolve)) };
    return { gathered: done, release };
  }

  /** Called as a gather begins; the call it returns, made once its answers are in, waits while that gather is held. */
  take(): () => Promise<void> {
    const hold = this.#next;
    this.#next = undefined;
    return async () => {
      if (hold === undefined) return;
      hold.gathered();
      await hold.released;
    };
  }
}
