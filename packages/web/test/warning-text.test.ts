// The dashboard's warnings go to the operator's terminal (stderr): node ids and reply messages in
// them come from the bus, so their control characters are shown as escapes, never sent raw (an
// OSC 52 writes the clipboard, a CSI clears the screen, a bidi override reorders the line).
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import type { EventPayload, ReplyEnvelope } from '@fsbus/contract';
import { Dashboard, type BusState, type DashboardBus, type DashboardOptions } from '@fsbus/web';

const ESC = '\x1b';
const HOSTILE_ID = `n1${ESC}[2J\u202e\u0085`;
const HOSTILE_MESSAGE = `-ERR no${ESC}]52;c;cm0gLXJmIH4=\x07 such\r\ncommand\u2066\x7f`;
/** Characters that must never reach the terminal raw. */
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

type Gathered = ReplyEnvelope[] & { badReplies?: Array<{ nodeId: string | undefined; error: Error }> };

/** A bus whose one node answers as the test says. */
class HostileBus implements DashboardBus {
  readonly state: BusState = 'connected';
  readonly reconnects = 0;
  constructor(
    private readonly answers: () => Gathered,
    private readonly show: () => ReplyEnvelope,
  ) {}
  connect(): Promise<void> {
    return Promise.resolve();
  }
  onState(): () => void {
    return () => undefined;
  }
  gather(): Promise<Gathered> {
    return Promise.resolve(this.answers());
  }
  request(): Promise<ReplyEnvelope> {
    return Promise.resolve(this.show());
  }
  onEvent(_listener: (e: EventPayload) => void): () => void {
    return () => undefined;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const envelope = (success: boolean, message: string, data?: unknown): ReplyEnvelope => ({
  success,
  status: success ? 'success' : 'error',
  message,
  timestamp: Date.now() * 1000,
  node_id: 'n1',
  ...(data === undefined ? {} : { data }),
});

/** The first warning the dashboard gives. */
async function firstWarning(bus: DashboardBus, options: DashboardOptions = {}): Promise<string> {
  let got: (m: string) => void = () => undefined;
  const warned = new Promise<string>((r) => (got = r));
  const d = new Dashboard(bus, { pollIntervalMs: 3_600_000, ...options, warn: (m) => got(m) });
  try {
    d.start();
    return await warned;
  } finally {
    await d.close();
  }
}

test('an unreadable agent.status answer is warned with its node id and error escaped', async () => {
  const answers = (): Gathered => Object.assign([] as ReplyEnvelope[], { badReplies: [{ nodeId: HOSTILE_ID, error: new Error(HOSTILE_MESSAGE) }] });
  const warning = await firstWarning(new HostileBus(answers, () => envelope(true, 'ok', '{"row_count":0}')));
  assert.doesNotMatch(warning, UNSAFE, JSON.stringify(warning));
  assert.ok(warning.includes('n1\\x1b[2J\\u202e\\x85'), warning);
  assert.ok(warning.includes('no\\x1b]52;c;cm0gLXJmIH4=\\x07 such\\r\\ncommand\\u2066\\x7f'), warning);
});

test('a failed channel read is warned with the node id and the reply\'s message escaped', async () => {
  const answers = (): Gathered => [envelope(true, 'ok', { node_id: HOSTILE_ID, esl: { status: 'ready', reconnects: 0 } })];
  const warning = await firstWarning(new HostileBus(answers, () => envelope(false, HOSTILE_MESSAGE)));
  assert.match(warning, /could not read the channels/);
  assert.doesNotMatch(warning, UNSAFE, JSON.stringify(warning));
  assert.ok(warning.includes('n1\\x1b[2J\\u202e\\x85'), warning);
  assert.ok(warning.includes('such\\r\\ncommand'), warning);
});

test('a channel listing with lines that are not rows is warned with the node id escaped', async () => {
  const answers = (): Gathered => [envelope(true, 'ok', { node_id: HOSTILE_ID, esl: { status: 'ready', reconnects: 0 } })];
  const listing = 'uuid,direction,name\nc1,inbound,x\nnot a row\n\n1 total.\n';
  const warning = await firstWarning(new HostileBus(answers, () => envelope(true, 'ok', listing)));
  assert.match(warning, /has lines that are not rows/);
  assert.doesNotMatch(warning, UNSAFE, JSON.stringify(warning));
});

test('a full node map is warned with the new node\'s id escaped', async () => {
  const status = (id: string): ReplyEnvelope => ({ ...envelope(true, 'ok', { node_id: id, esl: { status: 'ready', reconnects: 0 } }), node_id: id });
  const bus = new HostileBus(() => [status('n1'), status(HOSTILE_ID)], () => envelope(true, 'ok', '{"row_count":0}'));
  const warning = await firstWarning(bus, { maxNodes: 1 });
  assert.match(warning, /more than 1 nodes/);
  assert.doesNotMatch(warning, UNSAFE, JSON.stringify(warning));
  assert.ok(warning.includes('n1\\x1b[2J\\u202e\\x85'), warning);
});

test('a poll that throws is warned with its error escaped', async () => {
  // A reply no bus port should hand over: reading it throws with the answer's text.
  const answers = (): Gathered => [Object.defineProperty({} as ReplyEnvelope, 'success', { get: () => { throw new Error(HOSTILE_MESSAGE); } })];
  const warning = await firstWarning(new HostileBus(answers, () => envelope(true, 'ok', '{"row_count":0}')));
  assert.match(warning, /reading the nodes failed/);
  assert.doesNotMatch(warning, UNSAFE, JSON.stringify(warning));
  assert.ok(warning.includes('such\\r\\ncommand'), warning);
});
