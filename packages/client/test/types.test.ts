// Compile-time checks of the public API (expect-type): `tsc --noEmit` fails if a type drifts.
// At run time expectTypeOf is a no-op, so the test only proves the file loads.
import { test } from 'node:test';
import { expectTypeOf } from 'expect-type';
import type {
  AgentStatus,
  BadReply,
  ClientError,
  FsbusError,
  ReplyError,
  BusCommands,
  BusEvent,
  ClientErrorCode,
  EventPattern,
  EventStream,
  ExecuteAppOptions,
  ExecuteAppResult,
  FsbusClient,
  GatherResult,
  MalformedEvent,
  OriginateOptions,
  OriginateResult,
  Reply,
  StatusAllResult,
} from '../src/index.js';
import { connect } from '../src/index.js';

test('public API types', () => {
  expectTypeOf(connect).returns.resolves.toEqualTypeOf<FsbusClient>();
  expectTypeOf<FsbusClient['api']>().returns.resolves.toEqualTypeOf<string>();
  expectTypeOf<FsbusClient['bgapi']>().returns.resolves.toEqualTypeOf<string>();
  expectTypeOf<FsbusClient['status']>().returns.resolves.toEqualTypeOf<AgentStatus>();
  expectTypeOf<FsbusClient['statusAll']>().returns.resolves.toEqualTypeOf<StatusAllResult>();
  // Still arrays of what they were (old callers compile), with the unreadable answers beside them.
  expectTypeOf<StatusAllResult>().toMatchTypeOf<AgentStatus[]>();
  expectTypeOf<StatusAllResult['badReplies']>().toEqualTypeOf<readonly BadReply[]>();
  expectTypeOf<BadReply['error']>().toEqualTypeOf<ClientError>();
  expectTypeOf<BadReply['nodeId']>().toEqualTypeOf<string | undefined>();
  expectTypeOf<FsbusClient['node']>().returns.toEqualTypeOf<BusCommands>();
  expectTypeOf<FsbusClient['gather']>().returns.resolves.toEqualTypeOf<GatherResult<unknown>>();
  expectTypeOf<GatherResult<unknown>>().toMatchTypeOf<Array<Reply<unknown>>>();
  expectTypeOf<GatherResult<unknown>['badReplies']>().toEqualTypeOf<readonly BadReply[]>();
  expectTypeOf<EventStream['malformed']>().toEqualTypeOf<number>();
  expectTypeOf<MalformedEvent['error']>().toEqualTypeOf<ClientError>();
  expectTypeOf<FsbusClient['hangup']>().returns.resolves.toBeVoid();
  expectTypeOf<FsbusClient['events']>().returns.toEqualTypeOf<EventStream>();
  expectTypeOf<EventStream>().toMatchTypeOf<AsyncIterable<BusEvent>>();

  // originate: async calls give the uuid only; awaited ones the full result.
  const bus = {} as FsbusClient;
  const lazy = () => bus.originate({ endpoint: 'user/1000', extension: '7001', async: true });
  expectTypeOf(lazy).returns.resolves.toEqualTypeOf<{ uuid: string }>();
  const full = () => bus.originate({ endpoint: 'user/1000', extension: '7001' });
  expectTypeOf(full).returns.resolves.toEqualTypeOf<OriginateResult>();

  // A flag known only at run time: either result, not the one of `false`.
  const flag = Math.random() < 0.5;
  const either = () => bus.originate({ endpoint: 'user/1000', extension: '7001', async: flag });
  expectTypeOf(either).returns.resolves.toEqualTypeOf<OriginateResult | { uuid: string }>();
  const awaited = () => bus.originate({ endpoint: 'user/1000', extension: '7001', async: false });
  expectTypeOf(awaited).returns.resolves.toEqualTypeOf<OriginateResult>();
  // A variable of the options type: its `async` may be true, so either result (was the awaited one).
  const options: OriginateOptions = { endpoint: 'user/1000', extension: '7001', async: flag };
  const typed = () => bus.originate(options);
  expectTypeOf(typed).returns.resolves.toEqualTypeOf<OriginateResult | { uuid: string }>();

  // executeApp: `complete` is a promise of the event only when asked for.
  const waited = () => bus.executeApp({ uuid: 'u', app: 'playback', waitForComplete: true });
  expectTypeOf(waited).returns.resolves.toEqualTypeOf<ExecuteAppResult<Promise<BusEvent>>>();
  const plain = () => bus.executeApp({ uuid: 'u', app: 'playback' });
  expectTypeOf(plain).returns.resolves.toEqualTypeOf<ExecuteAppResult>();
  expectTypeOf<ExecuteAppResult['complete']>().toBeUndefined();
  const maybe = () => bus.executeApp({ uuid: 'u', app: 'playback', waitForComplete: flag });
  expectTypeOf(maybe).returns.resolves.toEqualTypeOf<ExecuteAppResult<Promise<BusEvent> | undefined>>();
  const notWaited = () => bus.executeApp({ uuid: 'u', app: 'playback', waitForComplete: false });
  expectTypeOf(notWaited).returns.resolves.toEqualTypeOf<ExecuteAppResult>();
  const appOptions: ExecuteAppOptions = { uuid: 'u', app: 'playback', waitForComplete: flag };
  const typedApp = () => bus.executeApp(appOptions);
  expectTypeOf(typedApp).returns.resolves.toEqualTypeOf<ExecuteAppResult<Promise<BusEvent> | undefined>>();

  // Event patterns are typed from FreeSWITCH's event list.
  expectTypeOf<'channel.answer'>().toMatchTypeOf<EventPattern>();
  expectTypeOf<'channel.execute.complete'>().toMatchTypeOf<EventPattern>();
  expectTypeOf<'custom.sofia.register'>().toMatchTypeOf<EventPattern>();
  expectTypeOf<'channel.>'>().toMatchTypeOf<EventPattern>();
  expectTypeOf<'CHANNEL_HANGUP_COMPLETE'>().toMatchTypeOf<EventPattern>();
  expectTypeOf<'chanel.answer'>().not.toMatchTypeOf<EventPattern>();
  expectTypeOf<'ALL'>().not.toMatchTypeOf<EventPattern>();
  // @ts-expect-error a misspelt event name does not compile
  const typo = () => bus.events('chanel.answr');
  expectTypeOf(typo).returns.toEqualTypeOf<EventStream>();

  // Errors: one family, codes as literal unions.
  expectTypeOf<ClientError>().toMatchTypeOf<FsbusError>();
  expectTypeOf<ReplyError>().toMatchTypeOf<FsbusError>();
  expectTypeOf<ClientError['code']>().toEqualTypeOf<ClientErrorCode>();
  expectTypeOf<ClientErrorCode>().toMatchTypeOf<`FSBUS_ERR_CLIENT_${string}`>();
  expectTypeOf<ReplyError['reply']['success']>().toEqualTypeOf<boolean>();
  expectTypeOf<BusEvent['callerIdNumber']>().toEqualTypeOf<string | undefined>();
});
