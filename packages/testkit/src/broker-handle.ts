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
 * The first start of a broker on ports we picked. Another process may take a picked port before
 * the broker binds it: a start that failed on a port in use is made again with every port picked
 * anew (up to 3 tries). Restarts keep their ports and do not come here.
 */
export async function launchOnFreshPorts(opts: {
  pick(): Promise<void>;
  launch(): Promise<void>;
  halt(): Promise<void>;
  portInUse(err: unknown): boolean;
}): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await opts.pick();
    try {
      await opts.launch();
      return;
    } catch (err) {
      await opts.halt();
      if (attempt >= 3 || !opts.portInUse(err)) throw err;
    }
  }
}

/**
 * Builds the handle around a `launch(port)` that starts the process and resolves once it answers
 * its protocol, and a `halt()` that stops it. `pickPort()` picks every port of a first start (it
 * returns the client port; others, TLS, epmd…, the starter keeps): called again for each retry.
 */
export async function makeHandle(opts: {
  scheme: string;
  pickPort(): Promise<number>;
  launch(port: number): Promise<void>;
  halt(): Promise<void>;
  cleanup(): void;
  portInUse(err: unknown): boolean;
  /** Scheme and port of a TLS listener, when there is one (picked by pickPort). */
  tls?: { scheme: string; port(): number | undefined };
}): Promise<BrokerHandle> {
  let port = -1;
  let running = false;
  try {
    await launchOnFreshPorts({
      pick: async () => {
        port = await opts.pickPort();
      },
      launch: () => opts.launch(port),
      halt: () => opts.halt(),
      portInUse: (err) => opts.portInUse(err),
    });
    running = true;
  } catch (err) {
    opts.cleanup();
    throw err;
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
      opts.cleanup();
    },
  };
}
