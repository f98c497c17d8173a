/**
 * Fidelity: replays the command-by-command session captured from a real FreeSWITCH 1.10.12
 * (command-transcript.json) against the simulator and compares every reply — header names in
 * wire order, header values and deterministic bodies — normalising only what inherently
 * differs (uuids, counters and versions marked `<uuid>`, `<n>`, `<v>` in the capture).
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import type { RawFrame } from '@fsbus/esl';
import { Simulator } from '../src/index.js';
import { capturePattern, plainNames, readJson, withFixtures } from './fidelity-support.js';
import { WireClient } from './listener-client.js';

interface Step {
  step: string;
  headers?: Array<[string, string]>;
  body?: string | string[];
  eventHeaderNames?: string[];
  closed?: boolean;
}

// What the capture's driver sent for steps whose `step` is only a label.
const SENT: Record<string, string> = {
  'bgapi echo with header': 'bgapi echo with header\nJob-UUID: 11111111-2222-3333-4444-555555555555\n\n',
  'sendevent CUSTOM': 'sendevent CUSTOM\nEvent-Subclass: fsbus::transcript\n\n',
};
const READ_ONLY = new Set(['greeting', 'the job result', 'the job result (own id)', 'goodbye']);

function compare(step: Step, frame: RawFrame): void {
  const label = JSON.stringify(step.step);
  const got = [...frame.headers];
  assert.deepEqual(got.map(([n]) => n), (step.headers ?? []).map(([n]) => n), `${label}: header names and order`);
  for (const [i, [name, value]] of (step.headers ?? []).entries()) {
    assert.match(got[i]![1], capturePattern(value), `${label}: ${name}`);
  }
  if (step.body !== undefined) {
    const expected = Array.isArray(step.body) ? step.body.join('\n') : step.body;
    assert.match(frame.body?.toString('utf8') ?? '', capturePattern(expected), `${label}: body`);
  }
  if (step.eventHeaderNames !== undefined) {
    assert.deepEqual(plainNames(frame.body), step.eventHeaderNames, `${label}: event header names and order`);
  }
}

void describe('fidelity: command transcript of a real FreeSWITCH 1.10.12', () => {
  withFixtures((dir) => {
    const steps = readJson<Step[]>(dir, 'command-transcript.json');
    let sim: Simulator;
    let client: WireClient;

    void before(async () => {
      sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
      const { port } = await sim.start();
      client = await WireClient.connect(port);
    });
    void after(async () => {
      client.close();
      await sim.stop();
    });

    // Events are asynchronous in FreeSWITCH too: a BACKGROUND_JOB of an earlier bgapi may come
    // before or after any later reply. A reply step skips events; a job-result step takes the
    // event of the job the last bgapi started.
    let lastJobUuid: string | undefined;
    const isEvent = (frame: RawFrame): boolean => frame.headers.get('Content-Type')?.startsWith('text/event-') === true;
    const nextFor = async (step: Step): Promise<RawFrame> => {
      const wantsEvent = step.headers?.some(([n, v]) => n === 'Content-Type' && v.startsWith('text/event-')) === true;
      for (;;) {
        const frame = await client.next();
        if (!wantsEvent) {
          if (isEvent(frame)) continue;
          lastJobUuid = frame.headers.get('Job-UUID') ?? lastJobUuid;
          return frame;
        }
        if (!isEvent(frame)) return frame; // let compare() report the mismatch
        const jobUuid = /^Job-UUID: (.*)$/m.exec(frame.body?.toString('utf8') ?? '')?.[1];
        if (lastJobUuid === undefined || jobUuid === lastJobUuid) return frame;
      }
    };

    void it(`replays all ${steps.length} steps with the same replies`, async () => {
      assert.ok(steps.length > 40, 'the transcript has its steps');
      for (const step of steps) {
        if (step.closed) {
          await client.waitClosed();
          continue;
        }
        if (!READ_ONLY.has(step.step)) client.send(SENT[step.step] ?? `${step.step}\n\n`);
        compare(step, await nextFor(step));
      }
      assert.equal(client.buffered, 0, 'nothing after the goodbye');
    });
  });
});
