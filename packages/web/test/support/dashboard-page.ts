/**
 * One wired node (nats-server, simulator, agent, dashboard) and one chromium page on its
 * dashboard for a test file: started before its tests, stopped after them.
 */
import { after, before } from 'node:test';
import type { StartWebOptions } from '@fsbus/web';
import { openBrowser, type Browser } from './browser.js';
import { startWiring, type Wiring } from './wiring.js';

export interface DashboardPage {
  readonly w: Wiring;
  readonly b: Browser;
}

/** `initScript` runs in the page before its own script (the page is reloaded with it). */
export function dashboardPage(webOptions: StartWebOptions = {}, initScript?: string): DashboardPage {
  let w: Wiring | undefined;
  let b: Browser | undefined;
  before(async () => {
    w = await startWiring(['fs-node-01'], webOptions);
    b = await openBrowser(w.web.url);
    if (initScript !== undefined) {
      await b.context.addInitScript(initScript);
      await b.page.reload();
    }
    await b.page.locator('#server-state[data-state="live"]').waitFor();
  });
  after(async () => {
    await b?.close();
    await w?.stop();
  });
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('dashboardPage: used outside a test');
    return v;
  };
  return {
    get w() {
      return started(w);
    },
    get b() {
      return started(b);
    },
  };
}
