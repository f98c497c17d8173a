/** A FreeSwitchLink with two command connections and no events, for the link's own tests. */
import { silentLogger } from '@fsbus/esl';
import { FreeSwitchLink, type FreeSwitchLinkOptions } from '../../src/freeswitch-link.js';

export type PoolOptions = Partial<Pick<FreeSwitchLinkOptions, 'turnBatch' | 'maxPending' | 'logger' | 'onStatus'>>;

/** Not started; `ready` once both command connections and the event socket are up. `onStatus` is called after that check. */
export function poolOf2(port: number, options: PoolOptions = {}): { link: FreeSwitchLink; ready: Promise<void> } {
  const { onStatus, logger = silentLogger, ...tuning } = options;
  let readyResolve!: () => void;
  const ready = new Promise<void>((resolve) => (readyResolve = resolve));
  const link: FreeSwitchLink = new FreeSwitchLink({
    host: '127.0.0.1',
    port,
    password: 'ClueCon',
    poolSize: 2,
    connectTimeoutMs: 2000,
    ...tuning,
    eventNames: [],
    logger,
    onEvent: () => undefined,
    onStatus: (which, status) => {
      if (link.ready && link.commandsReady === 2) readyResolve();
      onStatus?.(which, status);
    },
    onReconnect: () => undefined,
  });
  return { link, ready };
}
