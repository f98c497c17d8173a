/** The originate form: endpoint, extension, context, caller id, node — sent as the contract's `originate`. */
import { command } from '../api.js';
import { $ } from '../dom.js';
import { showResult } from './result.js';

export function initControls(): void {
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
    const button = $('originate-button') as HTMLButtonElement;
    button.disabled = true;
    void command(body)
      .then((r) => showResult(`originate ${String(body['endpoint'])} → ${String(body['extension'])}`, r))
      .finally(() => {
        button.disabled = false;
      });
  });
}
