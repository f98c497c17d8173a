/**
 * mod_dptools' export_function over switch_channel_export_variable_var_check (FreeSWITCH 1.10.12):
 * `name=value` only (a `,` is part of the name), the value as switch_core_session_exec expanded it
 * (no second expansion, unlike base_set); the variable is set under the name as given, and with a
 * value the name is appended to export_vars. Nothing is set on another leg (a bridged one, a
 * loopback partner): switch_channel_export_variable_var_check sets this channel's only.
 */
import type { Channel } from './channel.js';
import type { AppDeps } from './apps.js';
import { LOG_DEBUG, LOG_ERR, site } from './constants.js';

const EXPORT_VARS = 'export_vars';
/** A name exported to other legs only (switch_channel_export_variable_var_check, switch_channel_process_export). */
const REMOTE_ONLY = /^(nolocal:|_nolocal_)/i;
const NO_NAME = site('mod_dptools.c', 'export_function', 1775);
const EXPORTED = site('switch_channel.c', 'switch_channel_export_variable_var_check', 1334);

export function exportApp(deps: AppDeps, ch: Channel, data: string): void {
  const e = deps.executor.engine;
  if (data === '') {
    e.log(ch, LOG_ERR, NO_NAME, 'No variable name specified.');
    return;
  }
  const at = data.indexOf('=');
  const name = at < 0 ? data : data.slice(0, at);
  const value = at < 0 || at === data.length - 1 ? undefined : data.slice(at + 1);
  const remoteOnly = REMOTE_ONLY.exec(name);
  const shown = remoteOnly === null ? name : name.slice(remoteOnly[0].length);
  e.log(ch, LOG_DEBUG, EXPORTED, `EXPORT (${EXPORT_VARS}) ${remoteOnly === null ? '' : '(REMOTE ONLY) '}[${shown}]=[${value ?? 'UNDEF'}]`);
  if (name === '') return;
  // Set here only: export_vars carries it to legs originated from now on, not to a leg already up.
  ch.setVar(name, value);
  if (value === undefined) return;
  const exports = ch.getVar(EXPORT_VARS);
  ch.setVar(EXPORT_VARS, exports === undefined ? name : `${exports},${name}`);
}

/**
 * What switch_channel_process_export gives a leg `from` originates: `export_vars` itself and every
 * variable it names that is set (a `nolocal:` / `_nolocal_` prefix dropped from the name).
 */
export function exportedVariables(from: Channel): Array<[string, string]> {
  const names = from.getVar(EXPORT_VARS);
  if (names === undefined || names === '') return [];
  const out: Array<[string, string]> = [[EXPORT_VARS, names]];
  for (const name of names.split(',')) {
    const value = from.getVar(name);
    if (value !== undefined) out.push([name.replace(REMOTE_ONLY, ''), value]);
  }
  return out;
}
