import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { Simulator } from '../src/index.js';
import { WireClient } from './listener-client.js';

/** The `<body>…</body>` element of a text/event-xml frame, as raw bytes read as latin1. */
function xmlBodyElement(body: Buffer | undefined): string | undefined {
  const text = body?.toString('latin1') ?? '';
  return /<body>[\s\S]*<\/body>\n/.exec(text)?.[0];
}

/** A `sendevent` of a CUSTOM fsbus::encoding event with `body` (raw bytes) and one extra header line. */
function sendeventBytes(body: Buffer, headerLine = ''): Buffer {
  const head = `sendevent CUSTOM\nEvent-Subclass: fsbus::encoding\n${headerLine}Content-Length: ${body.length}\n\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

void describe('event bodies and client bytes as FreeSWITCH 1.10.12 writes them', () => {
  let sim: Simulator;
  let port: number;
  let xmlListener: WireClient;
  let plainListener: WireClient;
  let sender: WireClient;

  void before(async () => {
    sim = new Simulator({ port: 0, heartbeatIntervalMs: 0 });
    ({ port } = await sim.start());
    xmlListener = await WireClient.authed(port);
    plainListener = await WireClient.authed(port);
    sender = await WireClient.authed(port);
    assert.equal(await xmlListener.replyText('event xml CUSTOM fsbus::encoding'), '+OK event listener enabled xml');
    assert.equal(await plainListener.replyText('event plain CUSTOM fsbus::encoding'), '+OK event listener enabled plain');
  });
  void after(async () => {
    xmlListener.close();
    plainListener.close();
    sender.close();
    await sim.stop();
  });

  const sendAndReadXml = async (body: Buffer, headerLine = ''): Promise<Buffer | undefined> => {
    sender.socket.write(sendeventBytes(body, headerLine));
    assert.match((await sender.next()).headers.get('Reply-Text') ?? '', /^\+OK /);
    await plainListener.nextOfType('text/event-plain');
    return (await xmlListener.nextOfType('text/event-xml')).body;
  };

  // switch_xml_ampencode with use_utf8_encoding (switch_xml_toxml's default): each UTF-8
  // character becomes `&#x%X;` (upper-case hex, no leading zeros) and from `<!` on the text is
  // copied as it is.
  void it('xml: a non-ASCII character is a character reference; after `<!` nothing is escaped', async () => {
    const xml = await sendAndReadXml(Buffer.from('José <!x&\n', 'utf8'));
    assert.equal(xmlBodyElement(xml), '<body>Jos&#xE9; <!x&\n  </body>\n');
  });

  void it('xml: two-, three- and four-byte characters, and the ASCII escapes before a `<!`', async () => {
    const xml = await sendAndReadXml(Buffer.from('ü€😀 a<b>&c\r <!é<>', 'utf8'));
    // After `<!` the UTF-8 bytes of é go out raw (read back here as latin1).
    assert.equal(xmlBodyElement(xml), '<body>&#xFC;&#x20AC;&#x1F600; a&lt;b&gt;&amp;c&#xD; <!\u00c3\u00a9<>  </body>\n');
  });

  void it('xml: the event keeps the body length in bytes', async () => {
    const xml = await sendAndReadXml(Buffer.from('José\n', 'utf8'));
    assert.match(xml?.toString('latin1') ?? '', /<Content-Length>6<\/Content-Length>\n {2}<body>Jos&#xE9;\n {2}<\/body>/);
  });

  // The body is not valid UTF-8: FreeSWITCH keeps its bytes; the simulator reads it as UTF-8, so
  // the bytes it writes differ from the client's, and the event's own Content-Length must follow.
  void it('plain: a body that is not UTF-8 keeps its event Content-Length equal to the bytes written', async () => {
    sender.socket.write(sendeventBytes(Buffer.from('ab\xe9\n', 'latin1')));
    assert.match((await sender.next()).headers.get('Reply-Text') ?? '', /^\+OK /);
    const text = (await plainListener.nextOfType('text/event-plain')).body?.toString('latin1') ?? '';
    await xmlListener.nextOfType('text/event-xml');
    const end = text.indexOf('\n\n');
    const lengths = [...text.slice(0, end).matchAll(/^Content-Length: (\d+)$/gm)].map((m) => Number(m[1]));
    const written = Buffer.byteLength(text.slice(end + 2), 'latin1');
    assert.deepEqual(lengths, [written, written], 'the event header and the body length line both count the bytes written');
  });
});
