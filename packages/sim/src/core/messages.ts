/**
 * sendmsg on a channel (execute, hangup, unicast, nomedia …) with `event-uuid`, `loops`,
 * `event-lock`, and the PRIVATE_COMMAND event FreeSWITCH fires once a queued message is parsed.
 */
import type { Channel } from './channel.js';
import type { CoreMessage } from './types.js';
import type { Engine } from './engine.js';
import type { Executor } from './executor.js';
import type { Headers } from './event-bus.js';
import { SITES, normaliseCause } from './constants.js';
import { LOG_SITES } from './log-sites.js';
import { atoi } from './c-num.js';

/** switch_ivr_parse_event stops repeating an application whose run took less than this. */
const LOOP_MIN_MICROS = 500_000;

export class MessageRunner {
  constructor(
    private readonly engine: Engine,
    private readonly executor: Executor,
  ) {}

  /**
   * Queues the message; `command` is the `Command` header FreeSWITCH records (inbound:
   * `sendmsg <uuid>`; outbound: the whole command text). Returns the Reply-Text; `ran` is called
   * once the message has been run (an execute: after its last loop). `inline`: run it now, on the
   * channel's thread, whatever is queued (a static socket session's own sendmsg: switch_ivr_parse_event).
   */
  run(ch: Channel, message: CoreMessage, command: string | undefined, ran?: () => void, inline = false): string {
    const enqueue = inline
      ? (work: (done: () => void) => void): void => this.engine.defer(() => work(() => undefined))
      : (work: (done: () => void) => void): void => this.executor.queueMessage(ch, work);
    const lower = new Map<string, string>();
    for (const [k, v] of message.headers) lower.set(k.toLowerCase(), v);
    const callCommand = (message.callCommand || lower.get('call-command') || '').toLowerCase();
    const msgHeaders: Headers = [];
    for (const [k, v] of message.headers) if (k !== 'Command') msgHeaders.push([k, v]);
    const commandValue = message.headers.get('Command') ?? command ?? `sendmsg\n${msgHeaders.map(([k, v]) => `${k}: ${v}\n`).join('')}\n`;
    // FreeSWITCH reports the parsed message only when the channel has media (answered or early),
    // and only from its queue (switch_ivr_parse_next_event): a static socket session's own message
    // is parsed directly (switch_ivr_parse_event), with no event.
    const mediaReady = ch.answerState === 'answered' || ch.answerState === 'early';
    const privateCommand = (): void => {
      if (inline || !mediaReady) return;
      this.engine.fire(ch, 'PRIVATE_COMMAND', SITES.PRIVATE_COMMAND, { vars: false, pre: [['Command', commandValue], ...msgHeaders] });
    };
    if (callCommand === 'hangup') {
      enqueue((done) => {
        this.engine.hangup(ch, normaliseCause(lower.get('hangup-cause')) ?? 'NORMAL_CLEARING', LOG_SITES.HANGUP_MESSAGE);
        privateCommand();
        done();
        ran?.();
      });
      return '+OK';
    }
    // switch_ivr_parse_event runs an execute only `if (app_name)`: without the header the message
    // is parsed like any other (PRIVATE_COMMAND) and nothing runs.
    const app = lower.get('execute-app-name');
    if (callCommand === 'execute' && app !== undefined) {
      // switch_ivr_parse_event: the body is the argument only when execute-app-arg is empty and
      // the content-type is text/plain; loops = atoi(loops) (0 runs nothing, negative repeats).
      let arg = lower.get('execute-app-arg') ?? '';
      if (arg === '' && lower.get('content-type')?.toLowerCase() === 'text/plain') arg = message.body ?? '';
      const loopsHeader = lower.get('loops');
      const loops = loopsHeader === undefined ? 1 : atoi(loopsHeader);
      const appUuid = lower.get('event-uuid');
      const appUuidName = lower.get('event-uuid-name');
      enqueue((done) => this.executeLoops(ch, app, arg, loops, appUuid, inline, () => {
        privateCommand();
        done();
        ran?.();
      }, appUuidName));
      return '+OK';
    }
    // unicast, nomedia, xferext …: acknowledged; media is not simulated.
    enqueue((done) => {
      privateCommand();
      done();
      ran?.();
    });
    return '+OK';
  }

  private executeLoops(ch: Channel, app: string, arg: string, loops: number, appUuid: string | undefined, inline: boolean, end: () => void, appUuidName?: string): void {
    // `for (x = 0; x < loops || loops < 0; x++)`, left after an iteration once the channel is not
    // ready or the iteration took under 0.5 s (on the simulated clock).
    let i = 0;
    const finish = (): void => {
      ch.setVar('current_loop', undefined);
      ch.setVar('total_loops', undefined);
      end();
    };
    // Inline, parked without media (switch_ivr_park's media-less loop) or bridged (audio_bridge_thread,
    // the other leg suspended meanwhile and the bridge going on after), the message is parsed
    // directly — for all its loops, even once the application has pre-answered the channel.
    const parsedDirectly = inline || ch.bridgeActive || (ch.answerState !== 'answered' && ch.answerState !== 'early');
    const next = (): void => {
      if (!(i < loops || loops < 0)) return finish();
      i++;
      // Set for each loop, as switch_ivr_parse_event does; switch_core_session_exec clears it.
      if (appUuidName !== undefined) ch.setVar('app_uuid_name', appUuidName);
      ch.setVar('current_loop', String(i));
      ch.setVar('total_loops', String(loops));
      const before = this.engine.now();
      this.executor.execute(ch, app, arg, (_response, ran) => this.engine.defer(() => {
        if (!ran || ch.isHungUp || this.engine.now() - before < LOOP_MIN_MICROS) return finish();
        next();
      }), appUuid, parsedDirectly);
    };
    next();
  }

  /**
   * uuid_broadcast: switch_ivr_broadcast creates a COMMAND event (its core headers, its own
   * sequence number) and queues it; once parsed it is fired as PRIVATE_COMMAND with a second
   * set of core headers — both sets are on the wire, as in the capture. `holdBleg` adds
   * `hold-bleg: true`, whose hold music the simulator does not play.
   */
  broadcast(ch: Channel, app: string, args: string, holdBleg = false): void {
    const command: Headers = [
      ...this.engine.bus.coreHeaders('COMMAND', SITES.BROADCAST),
      ['call-command', 'execute'], ['execute-app-name', app], ['execute-app-arg', args], ['event-lock', 'true'], ['lead-frames', '5'],
    ];
    if (holdBleg) command.push(['hold-bleg', 'true']);
    const mediaReady = ch.answerState === 'answered' || ch.answerState === 'early';
    this.executor.queueMessage(ch, (done) => this.executeLoops(ch, app, args, 1, undefined, false, () => {
      if (mediaReady) this.engine.fire(ch, 'PRIVATE_COMMAND', SITES.PRIVATE_COMMAND, { vars: false, pre: command });
      done();
    }));
  }
}
