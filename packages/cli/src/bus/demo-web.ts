/**
 * The dashboard (@fsbus/web) for `fsbus demo`, when that package is present: loaded lazily, so
 * the demo still runs (without a dashboard) where it is missing or fails to start.
 */
import type * as WebModule from '@fsbus/web';

export interface DemoDashboard {
  readonly url: string;
  close(): Promise<void>;
}

export async function startDemoDashboard(servers: readonly string[], prefix: string): Promise<DemoDashboard | { error: string }> {
  let web: typeof WebModule;
  try {
    web = await import('@fsbus/web');
  } catch (err) {
    return { error: `@fsbus/web is not available (${(err as Error).message.split('\n')[0] ?? ''})` };
  }
  try {
    const server = await web.startWeb({ bus: { driver: 'nats', servers, prefix }, host: '127.0.0.1', port: 0 });
    return { url: server.url, close: () => server.close() };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
