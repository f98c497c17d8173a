/**
 * The mod_xml_curl dialplan binding: POSTs FreeSWITCH's form fields, parses the returned
 * `freeswitch/xml` document, and reports "not found" on `<result status="not found"/>`, a
 * non-200, a timeout (the SimClock drives it) or a document without the context.
 */
import type { SimClock } from './clock.js';
import type { DialplanAction, DialplanCondition, DialplanExtension } from './dialplan.js';

/** mod_xml_curl's default timeout. */
export const DEFAULT_XML_CURL_TIMEOUT_MS = 5000;

export type XmlCurlResult =
  | { readonly found: true; readonly extensions: DialplanExtension[] }
  | { readonly found: false; readonly reason: 'not-found' | 'timeout' | 'http-status' | 'error' | 'no-context' };

export async function fetchDialplan(
  url: string,
  fields: ReadonlyArray<readonly [string, string]>,
  context: string,
  clock: SimClock,
  timeoutMs: number,
): Promise<XmlCurlResult> {
  const body = fields.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const abort = new AbortController();
  const timer = clock.setTimeout(() => abort.abort(), timeoutMs);
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'freeswitch-xml/1.0' },
      body,
      signal: abort.signal,
    });
    const text = await res.text();
    if (res.status !== 200) return { found: false, reason: 'http-status' };
    return parseDialplanDocument(text, context);
  } catch {
    return { found: false, reason: abort.signal.aborted ? 'timeout' : 'error' };
  } finally {
    clock.clearTimeout(timer);
  }
}

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function decodeEntities(s: string): string {
  return s.replace(/&(#x?[0-9a-fA-F]+|\w+);/g, (all, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? all;
  });
}

/** A small tolerant XML reader: elements and attributes only (text and comments ignored). */
export function parseXml(text: string): XmlNode {
  const root: XmlNode = { name: '#root', attrs: {}, children: [] };
  const stack: XmlNode[] = [root];
  const clean = text.replace(/<!--[\s\S]*?-->/g, '').replace(/<\?[\s\S]*?\?>/g, '').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  const tag = /<(\/?)([A-Za-z_][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  for (let m = tag.exec(clean); m !== null; m = tag.exec(clean)) {
    const [, close, name = '', attrText = '', selfClose] = m;
    const top = stack[stack.length - 1] ?? root;
    if (close === '/') {
      if (stack.length > 1 && top.name === name) stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    const attr = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;
    for (let a = attr.exec(attrText); a !== null; a = attr.exec(attrText)) attrs[a[1] ?? ''] = decodeEntities(a[2] ?? a[3] ?? '');
    const node: XmlNode = { name, attrs, children: [] };
    top.children.push(node);
    if (selfClose !== '/') stack.push(node);
  }
  return root;
}

function find(node: XmlNode, name: string): XmlNode[] {
  const out: XmlNode[] = [];
  const walk = (n: XmlNode): void => {
    for (const c of n.children) {
      if (c.name === name) out.push(c);
      walk(c);
    }
  };
  walk(node);
  return out;
}

export function parseDialplanDocument(text: string, context: string): XmlCurlResult {
  const root = parseXml(text);
  const result = find(root, 'result')[0];
  if (result !== undefined && (result.attrs['status'] ?? '').toLowerCase() === 'not found') return { found: false, reason: 'not-found' };
  const section = find(root, 'section').find((s) => s.attrs['name'] === 'dialplan');
  if (section === undefined) return { found: false, reason: 'not-found' };
  const ctx = find(section, 'context').find((c) => c.attrs['name'] === context) ?? find(section, 'context')[0];
  if (ctx === undefined) return { found: false, reason: 'no-context' };
  return { found: true, extensions: ctx.children.filter((c) => c.name === 'extension').map(toExtension) };
}

/**
 * A whole static dialplan from FreeSWITCH-style XML (a `<document>` with a dialplan section, or
 * bare `<context>` elements, as in conf/dialplan/*.xml): every context with its extensions.
 */
export function parseStaticDialplan(text: string): Record<string, DialplanExtension[]> {
  const out: Record<string, DialplanExtension[]> = {};
  for (const ctx of find(parseXml(text), 'context')) {
    const name = ctx.attrs['name'];
    if (name === undefined) continue;
    out[name] = [...(out[name] ?? []), ...ctx.children.filter((c) => c.name === 'extension').map(toExtension)];
  }
  return out;
}

function toExtension(e: XmlNode): DialplanExtension {
  return {
    name: e.attrs['name'] ?? '',
    continue: e.attrs['continue'] === 'true',
    conditions: e.children.filter((c) => c.name === 'condition').map(toCondition),
  };
}

function toCondition(c: XmlNode): DialplanCondition {
  const action = (a: XmlNode): DialplanAction => {
    const data = a.attrs['data'];
    return data === undefined ? { application: a.attrs['application'] ?? '' } : { application: a.attrs['application'] ?? '', data };
  };
  const field = c.attrs['field'];
  const expression = c.attrs['expression'];
  return {
    ...(field !== undefined ? { field } : {}),
    ...(expression !== undefined ? { expression } : {}),
    actions: c.children.filter((x) => x.name === 'action').map(action),
    antiActions: c.children.filter((x) => x.name === 'anti-action').map(action),
  };
}
