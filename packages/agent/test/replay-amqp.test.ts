// Durable event replay over the amqp driver (a RabbitMQ stream queue), agent to consumer.
import { startRabbitMq } from '@fsbus/testkit';
import { runStreamReplay } from './support/stream-replay.js';

runStreamReplay('amqp', () => startRabbitMq());
