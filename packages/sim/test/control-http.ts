/** The simulator's control HTTP API as the tests call it: JSON in, status and JSON out. */
export type ControlHttp = (method: string, path: string, body?: unknown) => Promise<{ status: number; json: Record<string, unknown> }>;

/** `port()`: the control port, read at each call (known once the simulator started). */
export function controlHttp(port: () => number): ControlHttp {
  return async (method, path, body) => {
    const res = await fetch(`http://127.0.0.1:${port()}${path}`, {
      method,
      headers: { 'content-type': 'application/json', connection: 'close' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
}
