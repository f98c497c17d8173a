/**
 * The mod_xml_curl dialplan binding: POSTs FreeSWITCH's form fields and reads the answer as
 * switch_xml_locate does (switch_xml.c:1777-1814). A non-200, a transport failure or timeout, a
 * body switch_xml cannot parse, a first `<result status="not found">` of `<section name="result">`
 * or a document without a dialplan section is "not found": the static dialplan runs. Any other
 * document is the dialplan, used as mod_dialplan_xml's dialplan_hunt does.
 */
import type { SimClock, TimerHandle } from './clock.js';
import type { DialplanAction, DialplanCondition, DialplanExtension } from './dialplan.js';

/**
 * No timeout: mod_xml_curl's `timeout` param defaults to 0 (mod_xml_curl.c:375) and CURLOPT_TIMEOUT
 * is set only when it is not (:246-248), so a stalled server holds call set-up. 0 means none.
 */
export const DEFAULT_XML_CURL_TIMEOUT_MS = 0;

export type XmlCurlResult =
  /**
   * A document FreeSWITCH uses: the extensions of the context named like the call's (any case),
   * else of `global`; `context` (its name as written) undefined when there is neither.
   */
  | { readonly found: true; readonly context: string | undefined; readonly extensions: DialplanExtension[] }
  | { readonly found: false; readonly reason: 'not-found' | 'malformed' | 'timeout' | 'http-status' | 'error' };

/** `timeoutMs` as the `timeout` param (which counts seconds): 0 or less, none. */
export async function fetchDialplan(
  url: string,
  fields: ReadonlyArray<readonly [string, string]>,
  context: string,
  clock: SimClock,
  timeoutMs: number,
): Promise<XmlCurlResult> {
  const body = fields.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const abort = new AbortController();
  const timer: TimerHandle | undefined = timeoutMs > 0 ? clock.setTimeout(() => abort.abort(), timeoutMs) : undefined;
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
    if (timer !== undefined) clock.clearTimeout(timer);
  }
}

interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}

/** The top-level elements under a `#root` node, and the first error switch_xml_parse_str would report. */
export interface ParsedXml {
  readonly root: XmlNode;
  readonly error: string | undefined;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function decodeEntities(s: string): string {
  return s.replace(/&(#x?[0-9a-fA-F]+|\w+);/g, (all, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? all;
  });
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
/** switch_xml_parse_str's tag start: a letter, `_`, `:` or a non-ASCII byte. */
const NAME_START = /[A-Za-z_:\u0080-\uffff]/;

/**
 * An XML reader for elements and attributes (text ignored) that reports what switch_xml_parse_str
 * rejects (switch_xml.c:1053-1203): unclosed or mismatched tags (names are case-sensitive), a
 * missing quote or `>`, an unclosed comment, CDATA, `<?` or DOCTYPE, a `<` not opening markup,
 * a second root element, no element at all. It still builds what it can, for parseStaticDialplan.
 */
export function parseXml(text: string): ParsedXml {
  const root: XmlNode = { name: '#root', attrs: {}, children: [] };
  const open: XmlNode[] = [];
  let error: string | undefined;
  const fail = (message: string): void => void (error ??= message);
  let sawElement = false;
  let i = text.indexOf('<');
  while (i >= 0) {
    const at = i + 1;
    let end: number; // the markup's last character
    if (NAME_START.test(text[at] ?? '')) {
      if (sawElement && open.length === 0) fail('markup outside of root element');
      const tag = readOpenTag(text, at);
      if (typeof tag === 'string') {
        fail(tag);
        break;
      }
      sawElement = true;
      (open.at(-1) ?? root).children.push(tag.node);
      if (!tag.selfClosing) open.push(tag.node);
      end = tag.end;
    } else if (text[at] === '/') {
      let nameEnd = at + 1;
      while (nameEnd < text.length && !isSpace(text[nameEnd]) && text[nameEnd] !== '>') nameEnd++;
      const name = text.slice(at + 1, nameEnd);
      end = text.indexOf('>', nameEnd);
      if (end < 0) {
        fail('missing >');
        break;
      }
      if (open.at(-1)?.name === name) open.pop();
      else fail(`unexpected closing tag </${name}>`);
    } else if (text.startsWith('!--', at)) {
      const dashes = text.indexOf('--', at + 3);
      if (dashes < 0 || text[dashes + 2] !== '>') {
        fail('unclosed <!--');
        break;
      }
      end = dashes + 2;
    } else if (text.startsWith('![CDATA[', at)) {
      end = text.indexOf(']]>', at);
      if (end < 0) {
        fail('unclosed <![CDATA[');
        break;
      }
      end += 2;
    } else if (text.startsWith('!DOCTYPE', at)) {
      // With an internal subset it ends at `]` then `>`, else at the first `>`.
      const gt = text.indexOf('>', at);
      const subset = text.indexOf('[', at);
      if (subset >= 0 && (gt < 0 || subset < gt)) {
        const close = /\][ \t\r\n]*>/.exec(text.slice(subset));
        end = close === null ? -1 : subset + close.index + close[0].length - 1;
      } else end = gt;
      if (end < 0) {
        fail('unclosed <!DOCTYPE');
        break;
      }
    } else if (text[at] === '?') {
      end = text.indexOf('?>', at);
      if (end < 0) {
        fail('unclosed <?');
        break;
      }
      end += 1;
    } else {
      fail('unexpected <');
      end = at - 1;
    }
    i = text.indexOf('<', end + 1);
  }
  const unclosed = open.at(-1);
  if (!sawElement) fail('root tag missing');
  else if (unclosed !== undefined) fail(`unclosed tag <${unclosed.name}>`);
  return { root, error };
}

/** An open or self-closing tag from its name on, attributes as switch_xml_parse_str reads them; a string is the error. */
function readOpenTag(text: string, at: number): { node: XmlNode; selfClosing: boolean; end: number } | string {
  const stop = (c: string | undefined, extra: string): boolean => c === undefined || isSpace(c) || c === '/' || c === '>' || extra.includes(c);
  let s = at;
  while (!stop(text[s], '')) s++;
  const node: XmlNode = { name: text.slice(at, s), attrs: Object.create(null) as Record<string, string>, children: [] };
  for (;;) {
    while (isSpace(text[s])) s++;
    const c = text[s];
    if (c === undefined) return 'missing >';
    if (c === '/' || c === '>') break;
    const nameAt = s;
    while (!stop(text[s], '=')) s++;
    const name = text.slice(nameAt, s);
    let value = '';
    if (text[s] === '=' || isSpace(text[s])) {
      s++;
      while (text[s] === '=' || isSpace(text[s])) s++;
      const q = text[s];
      if (q === '"' || q === "'") {
        const close = text.indexOf(q, s + 1);
        if (close < 0) return `missing ${q}`;
        value = decodeEntities(text.slice(s + 1, close));
        s = close + 1;
      }
    }
    // switch_xml_attr returns the first of repeated attributes.
    if (!Object.hasOwn(node.attrs, name)) node.attrs[name] = value;
  }
  if (text[s] === '/') {
    if (text[s + 1] !== '>') return 'missing >';
    return { node, selfClosing: true, end: s + 1 };
  }
  return { node, selfClosing: false, end: s };
}

/** strcasecmp, as switch_xml_find_child compares attribute values. */
const sameIgnoringCase = (a: string | undefined, b: string): boolean => a !== undefined && a.replace(/[A-Z]/g, (c) => c.toLowerCase()) === b.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** switch_xml_find_child: the first direct child `name` whose `attr` is `value`, any case (switch_xml.c:390-406). */
function findChild(node: XmlNode, name: string, attr: string, value: string): XmlNode | undefined {
  return node.children.find((c) => c.name === name && sameIgnoringCase(c.attrs[attr], value));
}

export function parseDialplanDocument(text: string, context: string): XmlCurlResult {
  const { root, error } = parseXml(text);
  const doc = root.children[0];
  if (error !== undefined || doc === undefined) return { found: false, reason: 'malformed' };
  const result = findChild(doc, 'section', 'name', 'result')?.children.find((c) => c.name === 'result');
  if (sameIgnoringCase(result?.attrs['status'], 'not found')) return { found: false, reason: 'not-found' };
  // Without a dialplan section switch_xml_locate falls through to the static configuration (:1814-1833).
  const section = findChild(doc, 'section', 'name', 'dialplan');
  if (section === undefined) return { found: false, reason: 'not-found' };
  // mod_dialplan_xml.c:667-672: the call's context, else `global`, else none.
  const ctx = findChild(section, 'context', 'name', context) ?? findChild(section, 'context', 'name', 'global');
  return { found: true, context: ctx?.attrs['name'], extensions: ctx?.children.filter((c) => c.name === 'extension').map(toExtension) ?? [] };
}

/** Every element `name` below `node`, at any depth, in document order. */
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

/**
 * A whole static dialplan from FreeSWITCH-style XML (a `<document>` with a dialplan section, or
 * bare `<context>` elements, as in conf/dialplan/*.xml): every context with its extensions.
 */
export function parseStaticDialplan(text: string): Record<string, DialplanExtension[]> {
  const out: Record<string, DialplanExtension[]> = {};
  for (const ctx of find(parseXml(text).root, 'context')) {
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
