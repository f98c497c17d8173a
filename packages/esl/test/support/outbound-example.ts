/**
 * The 'session' handler of docs/esl.md's outbound example, line for line between the markers
 * (docs-outbound-example.test.ts checks that the docs still show exactly these lines, and runs them).
 */
import type { EslSession } from '../../src/index.js';

export async function onSession(session: EslSession): Promise<void> {
  // docs:begin
  // Listeners before the first await: 'end' fires once, and not for a listener added later.
  session.on('end', () => console.log('session over; channel hung up:', session.hungUp)); // not "call over"
  try {
    console.log(session.uuid, session.channelData.getHeader('Caller-Caller-ID-Number'));
    await session.myevents();
    // The socket stays after the hangup, for the channel's last events; FreeSWITCH allows
    // linger only with `full` in the socket line (else `-ERR command not found`).
    if (session.control === 'full') await session.linger();
    await session.answer();
    const digits = await session.playAndGetDigits({ min: 1, max: 4, file: 'ivr/ivr-enter_ext.wav', varName: 'ext' });
    await session.set('dialed', digits);
    await session.bridge(`user/${digits}`);
    await session.hangup('NORMAL_CLEARING');
  } catch (err) {
    // A hangup rejects what was left to run: not an error here — unless FreeSWITCH hung up on an
    // application it does not know (a misspelt name): DESTINATION_OUT_OF_ORDER.
    if (!session.hungUp || session.hangupCause === 'DESTINATION_OUT_OF_ORDER') throw err;
  } finally {
    await session.close(); // a lingering session stays open until the server closes it
  }
  // docs:end
}
