/** The dialplan applications the simulator implements (mod_dptools behaviour, simulated media). */
import type { Channel } from './channel.js';
import type { Executor, AppHandle, AppImpl } from './executor.js';
import type { SimClock } from './clock.js';
import { bridgePartner } from './channel.js';
import type { OutboundConnector, OutboundChannel } from './types.js';
import { normaliseCause } from './constants.js';
import { switchSeparateString } from './separate-string.js';
import { registerSimpleApps } from './dptools-simple.js';
import { LOG_SITES } from './log-sites.js';
import { registerPlayApps, wait } from './apps-play.js';
import { runSocket } from './apps-socket.js';
import { enterPark, transferBoth } from './bridge-end.js';
import { playAndGetDigits } from './play-and-get-digits.js';
import { readApp } from './read-app.js';
import { baseSet } from './dptools-stack.js';
import { exportApp } from './dptools-export.js';

export interface AppDeps {
  readonly executor: Executor;
  readonly clock: SimClock;
  outbound(): OutboundConnector | undefined;
  /** Length of a file for playback; undefined = plays until stopped. */
  fileLengthMs(path: string): number | undefined;
  bridge(ch: Channel, target: string, done: (response?: string) => void, app: AppHandle): void;
  outboundChannel(ch: Channel, onConnected: () => void): OutboundChannel;
}

/** tone_stream / silence_stream lengths; files default to the configured length. */
export function estimateLengthMs(path: string, fileDefaultMs: number, overrides: ReadonlyMap<string, number>): number | undefined {
  const o = overrides.get(path);
  if (o !== undefined) return o;
  if (path.startsWith('tone_stream://')) {
    const loopsMatch = /;loops=(-?\d+)/.exec(path);
    const loops = loopsMatch ? Number(loopsMatch[1]) : 1;
    if (loops < 0) return undefined;
    let total = 0;
    for (const m of path.matchAll(/%\(([^)]*)\)/g)) {
      const [on = '0', off = '0'] = (m[1] ?? '').split(',');
      total += Number(on) + Number(off);
    }
    return total * Math.max(1, loops);
  }
  if (path.startsWith('silence_stream://')) {
    const ms = Number(path.slice('silence_stream://'.length).split(',')[0]);
    return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
  }
  if (path.startsWith('local_stream://')) return undefined;
  return fileDefaultMs;
}

export function registerApps(deps: AppDeps): void {
  const { executor } = deps;
  const e = executor.engine;
  const reg = (name: string, impl: AppImpl): void => {
    executor.apps.set(name, impl);
  };

  reg('answer', (ch, _d, done) => { e.answer(ch); done(); });
  reg('pre_answer', (ch, _d, done) => { e.preAnswer(ch); done(); });
  reg('ring_ready', (ch, _d, done) => { e.ringReady(ch); done(); });
  reg('hangup', (ch, data, done) => { e.hangup(ch, normaliseCause(data.trim()) ?? 'NORMAL_CLEARING', LOG_SITES.HANGUP_APP); done(); });
  reg('set', (ch, data, done) => { baseSet(deps, ch, data); done(); });
  reg('export', (ch, data, done) => { exportApp(deps, ch, data); done(); });
  reg('push', (ch, data, done) => { baseSet(deps, ch, data, 'PUSH'); done(); });
  reg('unshift', (ch, data, done) => { baseSet(deps, ch, data, 'UNSHIFT'); done(); });

  reg('park', (ch, _d, done, app) => { enterPark(executor, ch, app, () => done()); });
  reg('sleep', (ch, data, done, app) => {
    app.acceptsMessages = true;
    const ms = Number(data);
    wait(deps, app, Number.isFinite(ms) && ms >= 0 ? ms : 0, () => done());
  });
  reg('echo', (_ch, _d, done, app) => {
    app.acceptsMessages = true;
    wait(deps, app, undefined, () => done());
  });
  registerPlayApps(deps, reg);
  reg('play_and_get_digits', (ch, data, done, app) => {
    // Its prompt (switch_ivr_play_file) and digit collection parse the channel's messages.
    app.acceptsMessages = true;
    playAndGetDigits(deps, ch, data, () => done(), app);
  });
  reg('read', (ch, data, done, app) => readApp(deps, ch, data, () => done(), app));
  reg('transfer', (ch, data, done) => {
    transferApp(deps, ch, data);
    done();
  });
  reg('bridge', (ch, data, done, app) => {
    // switch_ivr_originate parses the caller's messages while it dials, audio_bridge_thread once bridged.
    app.acceptsMessages = true;
    deps.bridge(ch, data.trim(), done, app);
  });
  reg('socket', (ch, data, done, app) => runSocket(deps, ch, data, done, app));
  registerSimpleApps(deps, reg);
}

const TRANSFER_SITE = { file: 'mod_dptools.c', func: 'transfer_function', line: 1210 };

/**
 * transfer [-bleg|-both] <ext> [<dialplan>] [<context>] (mod_dptools transfer_function): `-bleg`
 * transfers the bridged leg, `-both` the bridged leg and then this one, as uuid_transfer does;
 * without a bridged leg `-bleg` moves nothing and `-both` this leg alone.
 */
function transferApp(deps: AppDeps, ch: Channel, data: string): void {
  const x = deps.executor;
  if (data === '') return;
  const argv = switchSeparateString(data, ' ', 4);
  const option = argv[0]?.toLowerCase();
  if (option !== '-bleg' && option !== '-both') return x.transfer(ch, argv[0], argv[1], argv[2]);
  const [, ext, dp, ctx] = argv;
  const partner = bridgePartner(ch);
  if (partner === undefined) x.engine.log(ch, 4, TRANSFER_SITE, 'No B-leg present.');
  if (option === '-bleg') {
    if (partner !== undefined) x.transfer(partner, ext, dp, ctx);
  } else if (partner !== undefined) transferBoth(x, ch, partner, ext, dp, ctx);
  else x.transfer(ch, ext, dp, ctx);
}
