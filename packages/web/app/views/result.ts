/** The outcome of the last control, with the contract's message and code. */
import type { CommandResult } from '../../src/protocol.js';
import { $, h } from '../dom.js';

/** The bus gave up waiting, not the node: the command may still run. */
const CLIENT_TIMEOUT = 'FSBUS_ERR_CLIENT_TIMEOUT';

export function showResult(what: string, r: CommandResult): void {
  const box = $('result');
  const detail = r.success && r.data !== undefined && typeof r.data === 'object' ? JSON.stringify(r.data) : undefined;
  const line = h(
    'div',
    { class: r.success ? 'ok' : 'err', 'data-success': String(r.success), ...(r.code === undefined ? {} : { 'data-code': r.code }) },
    h('b', {}, `${r.success ? '✓' : '✗'} ${what}`),
    ` ${r.message}`,
    r.code === CLIENT_TIMEOUT ? h('span', { class: 'may-run' }, ' — no answer in time: the command may still run (or have run); check before sending it again') : '',
    r.code === undefined ? '' : h('code', {}, r.code),
    r.node_id === undefined ? '' : h('span', { class: 'muted' }, ` @${r.node_id}`),
    detail === undefined ? '' : h('pre', {}, detail),
  );
  box.prepend(line);
  while (box.childElementCount > 6) box.lastElementChild?.remove();
}
