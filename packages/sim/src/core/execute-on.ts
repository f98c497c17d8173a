/**
 * execute_on_* and api_on_* channel variables (switch_channel_execute_on, switch_channel_api_on),
 * run by FreeSWITCH 1.10.12 when it marks a channel ring-ready, pre-answered or answered. Every
 * variable whose name starts with the base name, in any case, counts (`execute_on_answer_1`,
 * `EXECUTE_ON_ANSWER_x` …), each item of an ARRAY:: value on its own.
 */
import type { Channel } from './channel.js';
import type { Executor } from './executor.js';
import type { ExpansionApi } from './api-in-expansion.js';
import { site } from './constants.js';

const DO_API_ON = site('switch_channel.c', 'do_api_on', 3690);

/** `variable_prefix`'s values in FreeSWITCH's order: `first`'s, then `then`'s whose names `first` lacks. */
function matching(prefix: string, first: ReadonlyMap<string, string>, then?: ReadonlyMap<string, string>): string[] {
  const p = prefix.toLowerCase();
  const out: string[] = [];
  const take = (vars: ReadonlyMap<string, string>, skip?: ReadonlyMap<string, string>): void => {
    for (const [name, value] of vars) {
      if (!name.toLowerCase().startsWith(p) || skip?.has(name) === true) continue;
      out.push(...(value.startsWith('ARRAY::') ? value.slice(7).split('|:') : [value]));
    }
  };
  take(first);
  if (then !== undefined) take(then, first);
  return out;
}

/**
 * switch_channel_execute_on: the global variables merged with the channel's (switch_event_merge
 * keeps a global over a channel variable of the same name). Each value is `app arg`, `app:arg`
 * (run inline on the channel, its argument expanded by switch_core_session_exec) or `app::arg`
 * (and `perl…`), queued as an execute message (switch_core_session_execute_application_async).
 */
export function executeOn(ex: Executor, ch: Channel, prefix: string, globals: ReadonlyMap<string, string>): void {
  for (const value of matching(prefix, globals, ch.variables)) {
    let app = value;
    let arg: string | undefined;
    let bg = false;
    for (let i = 0; i < value.length; i++) {
      const c = value[i];
      if (c === ':' && value[i + 1] === ':') {
        bg = true;
        break;
      }
      if (c === ' ' || c === ':') {
        app = value.slice(0, i);
        arg = value.slice(i + 1);
        break;
      }
    }
    if (app.slice(0, 4).toLowerCase() === 'perl') bg = true;
    if (!bg) {
      ex.execute(ch, app, arg ?? '', () => undefined);
      continue;
    }
    if (arg === undefined && app.includes('::')) [app, arg] = [app.slice(0, app.indexOf('::')), app.slice(app.indexOf('::') + 2)];
    const [name, data] = [app, arg ?? ''];
    ex.queueMessage(ch, (done) => ex.execute(ch, name, data, () => done()));
  }
}

/**
 * switch_channel_api_on (the channel's variables only): `api arg`, the argument expanded on the
 * channel, run with switch_api_execute (its API event) and its output logged by do_api_on.
 */
export function apiOn(ex: Executor, ch: Channel, prefix: string, api: ExpansionApi | undefined): void {
  if (api === undefined) return;
  for (const value of matching(prefix, ch.variables)) {
    const blank = value.indexOf(' ');
    const name = blank < 0 ? value : value.slice(0, blank);
    const arg = blank < 0 ? '' : ex.expand(ch, value.slice(blank + 1));
    // switch_api_execute writes INVALID COMMAND! into the stream for an API it does not know. Its
    // COMMAND RETURNED ERROR! (after the output of an API whose function returns a failure status)
    // never comes here: every API the simulator models writes -ERR and returns SWITCH_STATUS_SUCCESS.
    const out = api(name, arg) ?? 'INVALID COMMAND!\n';
    ex.engine.log(ch, 7, DO_API_ON, `${ch.name} process ${value}: ${name}(${arg})\n${out}`);
  }
}
