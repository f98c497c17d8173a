/**
 * The originate form: endpoint, extension, context, caller id, node — sent as the contract's
 * `originate`. It stays usable while calls ring: the server answers at once, and each originate
 * is followed as its own item (views/originates.ts).
 */
import type { OriginateView } from '../../src/protocol.js';
import { command } from '../api.js';
import { $ } from '../dom.js';
import type { Store } from '../store.js';
import { originateLabel, originateSent } from './originates.js';
import { showResult } from './result.js';

export function initControls(store: Store): void {
  const form = $('originate-form') as HTMLFormElement;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const field = (k: string): string => {
      const v = data.get(k);
      return typeof v === 'string' ? v.trim() : '';
    };
    const body: Record<string, unknown> = { command: 'originate', endpoint: field('endpoint'), extension: field('extension') };
    if (field('context') !== '') body['context'] = field('context');
    if (field('caller_id_number') !== '') body['caller_id_number'] = field('caller_id_number');
    if (field('node_id') !== '') body['node_id'] = field('node_id');
    void command(body).then((r) => {
      const view = r.success ? (r.data as OriginateView | undefined) : undefined;
      // Refused before anything rang (the cap, a check, the server away): said as any control's result.
      if (view === undefined || typeof view.uuid !== 'string') showResult(originateLabel({ endpoint: field('endpoint'), extension: field('extension') }), r);
      else originateSent(store, view);
    });
  });
}
