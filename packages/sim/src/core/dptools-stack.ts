/**
 * mod_dptools' base_set (FreeSWITCH 1.10.12), which multiset, push and unshift share: `name=value`
 * or `name,value`, the value expanded, and switch_channel_add_variable_var_check on the channel's
 * variables — push / unshift add an item to an `ARRAY::a|:b` value (switch_event_base_add_header
 * with SWITCH_STACK_PUSH / SWITCH_STACK_UNSHIFT).
 */
import type { Channel } from './channel.js';
import type { AppDeps } from './apps.js';
import { LOG_DEBUG, LOG_ERR } from './constants.js';

export type VariableStack = 'SET' | 'PUSH' | 'UNSHIFT';

const ARRAY_PREFIX = 'ARRAY::';
const ITEM_SEPARATOR = '|:';

/** base_set: logs `<SET|PUSH|UNSHIFT> <channel> [name]=[value]`; no value unsets the variable. */
export function baseSet(deps: AppDeps, ch: Channel, item: string, stack: VariableStack = 'SET'): void {
  const e = deps.executor.engine;
  if (item === '') {
    e.log(ch, LOG_ERR, { file: 'mod_dptools.c', func: 'base_set', line: 1649 }, 'No variable name specified.');
    return;
  }
  let at = item.indexOf('=');
  if (at < 0) at = item.indexOf(',');
  const name = at < 0 ? item : item.slice(0, at);
  const raw = at < 0 ? '' : item.slice(at + 1);
  const value = raw === '' ? undefined : deps.executor.expand(ch, raw);
  e.log(ch, LOG_DEBUG, { file: 'mod_dptools.c', func: 'base_set', line: 1671 }, `${stack} ${ch.name} [${name}]=[${value ?? 'UNDEF'}]`);
  // switch_channel_add_variable_var_check ignores an empty name.
  if (name === '') return;
  if (stack === 'SET' || value === undefined || value === '') ch.setVar(name, value);
  else stackVariable(ch, name, value, stack);
}

/**
 * A channel variable (an EF_UNIQ_HEADERS event) takes an item: one that exists gets it at its end
 * or start, where it stands; a new one is the value alone, or, for an `ARRAY::` value, its items
 * pushed one by one (switch_event_add_array; a bare `ARRAY::` adds nothing).
 */
function stackVariable(ch: Channel, name: string, value: string, stack: 'PUSH' | 'UNSHIFT'): void {
  const existing = ch.variables.get(name);
  if (existing === undefined) {
    if (!value.startsWith(ARRAY_PREFIX)) return ch.setVar(name, value);
    if (value.length <= ARRAY_PREFIX.length) return;
    for (const part of value.slice(ARRAY_PREFIX.length).split(ITEM_SEPARATOR)) {
      if (ch.variables.has(name)) stackVariable(ch, name, part, 'PUSH');
      else if (part !== '') ch.setVar(name, part);
    }
    return;
  }
  const items = existing.startsWith(ARRAY_PREFIX) ? existing.slice(ARRAY_PREFIX.length).split(ITEM_SEPARATOR) : [existing];
  if (stack === 'PUSH') items.push(value);
  else items.unshift(value);
  // Map.set on a present key keeps its place, as the header does.
  ch.variables.set(name, ARRAY_PREFIX + items.join(ITEM_SEPARATOR));
}
