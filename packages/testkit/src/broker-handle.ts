/** What every test-kit broker returns (the same shape as `startNatsServer`'s handle). */
export interface BrokerHandle {
  /** Client URL (`amqp://…`, `redis://…`, `mqtt://…`). */
  readonly url: string;
  readonly port: number;
  /** The TLS listener's URL (`amqps://…`, `rediss://…`, `mqtts://…`), when started with `tls`. */
  readonly tlsUrl?: string | undefined;
  /** Stops the broker (SIGTERM, waits for exit); port and data dir are kept for `start()`. */
  halt(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** halt() then start(). */
  restart(): Promise<void>;
  /** Stops it for good and removes its temp dir. */
  stop(): Promise<void>;
}

/**
 * Builds the handle around a `launch(port)` that starts the process and resolves once it answers
 * its protocol, and a `halt()` that stops it. The first launch retries on a fresh free port when
 * another process took the one we picked (brokers that cannot choose their own port).
 */
export async function makeHandle(opts: {
  scheme: string;
  pickPort(): Promise<number>;
  launch(port: number): Promise<void>;
  halt(): Promise<void>;
  cleanup(): Promise<void>;
  portInUse(err: unknown): boolean;
  /** Scheme and port of a TLS listener, when there is one (the port is picked by launch). */
  tls?: { scheme: string; port(): number | undefined };
}): Promise<BrokerHandle> {
  let port = -1;
  let running = false;
  for (let attempt = 0; ; attempt++) {
    port = await opts.pickPort();
    try {
      await opts.launch(port);
      running = true;
      break;
    } catch (err) {
      await opts.halt();
      if (attempt < 2 && opts.portInUse(err)) continue;
      await opts.cleanup();
      throw err;
    }
  }
  const halt = async () => {
    running = false;
    await opts.halt();
  };
  const start = async () => {
    if (running) return;
    await opts.launch(port);
    running = true;
  };
  return {
    get url() {
      return `${opts.scheme}://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get tlsUrl() {
      const tlsPort = opts.tls?.port();
      return tlsPort === undefined ? undefined : `${opts.tls!.scheme}://127.0.0.1:${tlsPort}`;
    },
    halt,
    start,
    restart: async () => {
      await halt();
      await start();
    },
    stop: async () => {
      await halt();
      await opts.cleanup();
    },
  };
}
