/**
 * Fidelity of log/data frames: replays the captured call scenario with a `log 7` listener and
 * compares, for every kind of line the simulator writes, each line's fields (level, text
 * channel, calling file/function/line, user data) and text with the real FreeSWITCH's, and the
 * order of those lines per channel. The lines of modules the simulator does not model
 * (mod_loopback's debug lines, the dialplan parser, the state machine's own notes) are left out.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { RawFrame } from '@fsbus/esl';
import { runCapturedScenario, type ScenarioRun } from './fidelity-run.js';
import { readFrames, withFixtures } from './fidelity-support.js';

/** The lines the simulator writes, by their message. */
const MODELLED = [
  /^New Channel /, / set UUID=/, /\) Running State Change /, /\) Callstate Change /, /^Processing /, /^EXECUTE \[depth=/,
  /^Channel \[.*\] has been answered$/, /^Originate Resulted in /, / Flipping CID from /, /^Hangup /, /^Session \d+ \(.*\) Ended$/,
  /^Close Channel /, /^Trying host: /,
];

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const CHANNEL = /loopback\/\d+-[ab]/;

interface LogLine {
  /** `<level> <text channel> <file>:<line> <function> user-data=<channel name, or '' when empty>` */
  fields: string;
  message: string;
  channel: string;
}

/** The message of a line: after FreeSWITCH's `<date> <time> <cpu>% [LEVEL] file:line ` prefix, when there is one. */
function messageOf(text: string): string {
  return text.replace(/^\S+ \S+ [\d.]+% \[[A-Z]+\] \S+:\d+ /, '').replace(/\n$/, '');
}

/**
 * The modelled lines of a log stream, with what differs between runs normalised: uuids, the
 * session counters (`Tot`, `Session N`, which count the capture machine's earlier calls), and
 * `Cur` at CS_DESTROY (it depends on which leg of a pair is destroyed first, a thread race).
 */
function modelledLines(frames: readonly RawFrame[]): LogLine[] {
  const logs = frames.filter((f) => f.headers.get('Content-Type') === 'log/data');
  const names = new Map<string, string>();
  for (const f of logs) {
    const name = CHANNEL.exec(f.body?.toString() ?? '')?.[0];
    const user = f.headers.get('User-Data') ?? '';
    if (name !== undefined && user !== '' && !names.has(user)) names.set(user, name);
  }
  const out: LogLine[] = [];
  for (const f of logs) {
    const message = messageOf(f.body?.toString('utf8') ?? '');
    if (!MODELLED.some((m) => m.test(message))) continue;
    const h = (n: string): string => f.headers.get(n) ?? '?';
    const user = h('User-Data');
    const userName = user === '' ? '' : (names.get(user) ?? `unknown ${user}`);
    out.push({
      fields: `${h('Log-Level')} ${h('Text-Channel')} ${h('Log-File')}:${h('Log-Line')} ${h('Log-Func')} user-data=${userName}`,
      message: message
        .replace(UUID, '<uuid>')
        .replace(/Tot \d+\)/, 'Tot N)')
        .replace(/^Session \d+ /, 'Session N ')
        .replace(/CS_DESTROY \(Cur \d+/, 'CS_DESTROY (Cur N'),
      channel: CHANNEL.exec(message)?.[0] ?? (userName || 'no channel'),
    });
  }
  return out;
}

/** Per channel, its messages in order (their fields are the other test's). */
function perChannel(lines: readonly LogLine[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const l of lines) (out[l.channel] ??= []).push(l.message);
  return out;
}

void describe('fidelity: log/data frames of a real FreeSWITCH 1.10.12', () => {
  withFixtures((dir) => {
    let run: ScenarioRun;
    let real: LogLine[];
    let got: LogLine[];

    void before(async () => {
      run = await runCapturedScenario(dir);
      real = modelledLines(readFrames(dir, 'shared-log.bin'));
      got = modelledLines(run.clients.log.peek());
    });

    void after(async () => {
      await run.stop();
    });

    void it('runs the whole scenario', () => {
      assert.equal(run.error, undefined);
    });

    void it('writes only lines of the kinds compared here', () => {
      const all = run.clients.log.peek().filter((f) => f.headers.get('Content-Type') === 'log/data');
      assert.ok(all.length > 100, 'log lines received');
      const others = all.map((f) => messageOf(f.body?.toString() ?? '')).filter((m) => !MODELLED.some((p) => p.test(m)));
      assert.deepEqual(others, []);
    });

    void it('writes each line with the real level, text channel, calling site and user data', () => {
      // Per message (normalised), the distinct field sets: the real and the simulated must agree.
      const fieldsByMessage = (lines: readonly LogLine[]): Record<string, string[]> => {
        const out: Record<string, Set<string>> = {};
        for (const l of lines) (out[`${l.channel} ${l.message}`] ??= new Set()).add(l.fields);
        return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
      };
      const want = fieldsByMessage(real);
      const have = fieldsByMessage(got);
      const differences = Object.keys({ ...want, ...have })
        .filter((k) => JSON.stringify(want[k]) !== JSON.stringify(have[k]))
        .map((k) => `${k}: real ${JSON.stringify(want[k] ?? 'none')} / got ${JSON.stringify(have[k] ?? 'none')}`);
      assert.deepEqual(differences, []);
    });

    void it('writes each channel\'s lines in the real order', () => {
      // Across channels the order follows FreeSWITCH's thread scheduling (which leg of a
      // loopback pair starts or is destroyed first), so it is compared per channel only.
      assert.deepEqual(perChannel(got), perChannel(real));
    });
  });
});
