// Which reply addresses the AMQP driver publishes a reply to (drivers/amqp/direct-reply-to.ts):
// RabbitMQ before 4.2 closes the replying connection (541) for a direct reply-to name it cannot
// decode. No broker here: the broker cases are in amqp.test.ts.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { directReplyToProblem, shownReplyAddress } from '../src/drivers/amqp/direct-reply-to.js';

/** A name RabbitMQ 3.10 wrote (node `reply@<hash>`, NEW_PID_EXT), as a server received it. */
const LIVE = 'amq.rabbitmq.reply-to.g1h2AA9yZXBseUAxMTc2MDM2NjgAAAKwAAAAAGsT5R8=.et7vuSCtHPNV7wweJMoeEQ==';
const KEY = Buffer.alloc(16, 7).toString('base64');

function pidTerm(tag: number, atomTag: number, node: string, tail: number): string {
  const name = Buffer.from(node, 'latin1');
  const len = atomTag === 115 || atomTag === 119 ? Buffer.from([name.length]) : Buffer.from([0, name.length]);
  return Buffer.concat([Buffer.from([131, tag, atomTag]), len, name, Buffer.alloc(tail, 1)]).toString('base64');
}

void test('amqp reply address: names RabbitMQ writes (3.x v1 and v2, 4.x) and plain queue names are taken', () => {
  const ok = [
    LIVE,
    // v1: the real node name; older brokers wrote PID_EXT, small and latin-1 atoms.
    `amq.rabbitmq.reply-to.${pidTerm(88, 118, 'rabbit@host-1', 12)}.${KEY}`,
    `amq.rabbitmq.reply-to.${pidTerm(103, 100, 'rabbit@host-1', 9)}.${KEY}`,
    `amq.rabbitmq.reply-to.${pidTerm(88, 119, 'generated@42', 12)}.${KEY}`,
    `amq.rabbitmq.reply-to.${pidTerm(103, 115, 'rabbit@h', 9)}.${KEY}`,
    'my-reply-queue',
    'amq.gen-JzTY20BRgKO-HjmUJj0wLg',
  ];
  for (const a of ok) assert.equal(directReplyToProblem(a), undefined, a);
});

void test('amqp reply address: names RabbitMQ cannot have written are refused, with the reason', () => {
  const bad: Array<[string, RegExp]> = [
    // The reviewer's reproduction: an atom said to be 14 bytes long, too little after it.
    ['amq.rabbitmq.reply-to.g1h2AA5yZXBseUAxAAAAAAAAAAE=.xx', /base64|pid/],
    [`amq.rabbitmq.reply-to.g1h2AA5yZXBseUAxAAAAAAAAAAE=.${KEY}`, /not an Erlang pid/],
    ['amq.rabbitmq.reply-to', /bare pseudo-queue/],
    ['amq.rabbitmq.reply-to.', /<pid>\.<key>/],
    ['amq.rabbitmq.reply-to.abc', /<pid>\.<key>/],
    [`${LIVE}.extra`, /<pid>\.<key>/],
    ['amq.rabbitmq.reply-to.!!!!.xx', /not base64/],
    [`amq.rabbitmq.reply-to.${Buffer.from([131, 119, 3, 97, 98, 99]).toString('base64')}.${KEY}`, /not an Erlang pid/],
    [`amq.rabbitmq.reply-to.${pidTerm(88, 118, 'rabbit@host', 13)}.${KEY}`, /not an Erlang pid/],
    [`amq.rabbitmq.reply-to.${pidTerm(88, 118, 'rabbit@host', 11)}.${KEY}`, /not an Erlang pid/],
    [`amq.rabbitmq.reply-to.${pidTerm(88, 118, 'nohost', 12)}.${KEY}`, /not an Erlang pid/],
    [`amq.rabbitmq.reply-to.${pidTerm(88, 118, 'rabbit@host', 12)}.${KEY}${'A'.repeat(300)}`, /over 255 bytes/],
  ];
  for (const [a, why] of bad) assert.match(directReplyToProblem(a) ?? 'taken', why, a);
});

void test('amqp reply address: a direct reply-to name is logged without its key', () => {
  assert.equal(shownReplyAddress(LIVE), 'amq.rabbitmq.reply-to.g1h2AA9yZXBseUAxMTc2MDM2NjgAAAKwAAAAAGsT5R8=.***');
  assert.equal(shownReplyAddress('my-reply-queue'), 'my-reply-queue');
  assert.equal(shownReplyAddress(`q.${'x'.repeat(300)}`).length, 121);
});
