/**
 * The shared lanes (`<prefix>.api`, `<prefix>.cmd.async.>`: any node may take a request) are served
 * only while this node can run what it takes: FreeSWITCH ready and the node not cordoned. A node
 * that kept them with FreeSWITCH down would take its share and fail each (FREESWITCH_UNAVAILABLE),
 * or, fire-and-forget, run nothing and tell nobody. The node's own lanes and the broadcast lane
 * stay served always, so `agent.status` and node-targeted requests still answer.
 *
 * Leaving is the driver's unsubscribe, as at stop: what the driver already handed over runs and is
 * answered as before (a request in flight is not touched). Joining again is serve() again, then a
 * flush so that `joined` means the broker has it. One change at a time: a join waits for the leave
 * before it to end. Driver by driver: docs/agent.md "Shared lanes and cordon".
 */
import { BusErrorCode, type BusRequest } from '@fsbus/contract';
import type { Driver, Lane, ServeHandler, Subscription } from '@fsbus/transport';
import type { Logger } from 'pino';
import type { CommandContext, CommandHandler, CommandResult } from './commands/registry.js';

export type SharedLanesState = 'left' | 'joining' | 'joined' | 'leaving';

export interface SharedLane {
  lane: Lane;
  handler: ServeHandler;
}

export interface SharedLanesStatus {
  state: SharedLanesState;
  /** Left on an operator's `agent.cordon` (or from the start: `commands.start_cordoned`), whatever FreeSWITCH's state, until `agent.uncordon`. */
  cordoned: boolean;
}

export class SharedLanes {
  readonly #logger: Logger;
  readonly #onChange: () => void;
  #driver: Driver | undefined;
  #lanes: readonly SharedLane[] = [];
  #subs: Subscription[] | undefined;
  #state: SharedLanesState = 'left';
  /** The leave under way: nothing joins before it ends. */
  #leaving: Promise<void> | undefined;
  /** Bumped by each join and leave: a join's flush that ends after a leave says nothing. */
  #turn = 0;
  #linkReady = false;
  #cordoned: boolean;
  /** Cordoned by `commands.start_cordoned`: said once, when the lanes are attached. */
  #startCordoned: boolean;
  #closed = false;
  /** What changed last (FreeSWITCH, a cordon, the stop): what the join or leave line says. */
  #cause = 'FreeSWITCH ready';

  /**
   * `onChange`: a leave or a join has completed (the agent tells its state listeners).
   * `startCordoned`: cordoned before anything is joined (`commands.start_cordoned`), so the node
   * never takes a shared-lane request until `agent.uncordon`.
   */
  constructor(logger: Logger, onChange: () => void, startCordoned = false) {
    this.#logger = logger;
    this.#onChange = onChange;
    this.#cordoned = startCordoned;
    this.#startCordoned = startCordoned;
  }

  /** The lanes and their driver, once the broker is up; joined when FreeSWITCH is ready. */
  attach(driver: Driver, lanes: readonly SharedLane[]): void {
    this.#driver = driver;
    this.#lanes = lanes;
    if (this.#startCordoned && this.#cordoned) {
      this.#startCordoned = false;
      this.#logger.info({ subjects: this.subjects }, "started cordoned (commands.start_cordoned): the shared lanes stay left until agent.uncordon; this node's own lanes and broadcast are served");
    }
    this.#settle();
  }

  /** FreeSWITCH's link state, told on every state change of the agent: cheap when unchanged. */
  update(linkReady: boolean): void {
    if (linkReady === this.#linkReady) return;
    this.#linkReady = linkReady;
    this.#cause = linkReady ? 'FreeSWITCH ready' : 'FreeSWITCH not ready';
    this.#settle();
  }

  cordon(): void {
    if (this.#cordoned) return;
    this.#cordoned = true;
    this.#cause = 'node cordoned';
    this.#logger.info({}, 'node cordoned (agent.cordon): the shared lanes stay left until agent.uncordon');
    this.#settle();
  }

  uncordon(): void {
    if (!this.#cordoned) return;
    this.#cordoned = false;
    this.#cause = 'node uncordoned';
    this.#logger.info({ freeswitch_ready: this.#linkReady }, 'node uncordoned (agent.uncordon): the shared lanes are served while FreeSWITCH is ready');
    this.#settle();
  }

  /** For good (the agent stops): resolves once left. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#cause = 'agent stopping';
    this.#settle();
    await this.#leaving;
  }

  status(): SharedLanesStatus {
    return { state: this.#state, cordoned: this.#cordoned };
  }

  /** Joined, or cordoned (left on purpose): what Agent.whenReady() waits for once FreeSWITCH is ready. */
  get settled(): boolean {
    return this.#cordoned || this.#state === 'joined';
  }

  get subjects(): string[] {
    return this.#lanes.map((l) => l.lane.subject);
  }

  #wanted(): boolean {
    return !this.#closed && !this.#cordoned && this.#linkReady && this.#driver !== undefined;
  }

  #settle(): void {
    if (this.#leaving !== undefined) return; // settled again when it ends
    if (this.#wanted() && this.#subs === undefined) this.#join();
    else if (!this.#wanted() && this.#subs !== undefined) this.#leave();
  }

  #join(): void {
    const driver = this.#driver!;
    const subs: Subscription[] = [];
    try {
      for (const { lane, handler } of this.#lanes) subs.push(driver.serve(lane, handler));
    } catch (err) {
      // The driver closed under us (the agent stops): nothing to serve.
      for (const s of subs) void s.unsubscribe().catch(() => undefined);
      this.#logger.warn({ err }, 'could not join the shared lanes');
      return;
    }
    this.#subs = subs;
    this.#state = 'joining';
    const turn = ++this.#turn;
    this.#logger.info({ subjects: this.subjects }, `${this.#cause}: joined the shared lanes`);
    const joined = () => {
      if (turn !== this.#turn) return;
      this.#state = 'joined';
      this.#onChange();
    };
    // A broker away meanwhile: the driver sets the lanes up when it is back, and joined they are.
    driver.flush().then(joined, joined);
  }

  #leave(): void {
    const subs = this.#subs!;
    this.#subs = undefined;
    this.#state = 'leaving';
    ++this.#turn;
    if (!this.#closed) this.#logger.info({ subjects: this.subjects }, `${this.#cause}: left the shared lanes; this node's own lanes and broadcast stay served`);
    this.#leaving = Promise.all(subs.map((s) => s.unsubscribe().catch((err: unknown) => this.#logger.warn({ err, subject: s.subject }, 'could not leave a shared lane')))).then(() => {
      this.#leaving = undefined;
      this.#state = 'left';
      this.#onChange();
      this.#settle();
    });
  }
}

/**
 * `agent.cordon` / `agent.uncordon` must name their node: on a shared or broadcast lane a bare one
 * would hit whoever takes it. On the node's own lane the subject names it (what `fsbus cordon`,
 * `--node` and the SDK's `client.node(id)` send); a `node_id` naming another node is refused there
 * too, not run here as the subject would win for other commands: a cordon never lands by mistake.
 */
function namesThisNode(request: BusRequest, ctx: CommandContext, command: string): CommandResult | undefined {
  const { nodeId } = ctx;
  if (request.node_id === nodeId || (request.node_id === undefined && ctx.ownLane === true)) return undefined;
  const message =
    request.node_id === undefined
      ? `${command} must name its node in node_id ('${nodeId}') or be sent on the node's own lane (<prefix>.node.<id>)`
      : `${command} for node ${nodeId} names another node in node_id ('${request.node_id}'): nothing changed`;
  return { ok: false, code: BusErrorCode.INVALID_ARGUMENT, message };
}

/** The operator's drain for maintenance: the shared lanes left (or joined again), the node's own lane served throughout. */
export function cordonCommands(lanes: SharedLanes): CommandHandler[] {
  const command = (name: string, apply: () => void, message: string): CommandHandler => ({
    name,
    // The agent's own state only: an overloaded node (at max_in_flight) is the one to drain.
    local: true,
    run: (request, ctx) => {
      const refused = namesThisNode(request, ctx, name);
      if (refused !== undefined) return Promise.resolve(refused);
      apply();
      return Promise.resolve({ ok: true, message, data: { shared_lanes: lanes.status() } });
    },
  });
  return [
    command('agent.cordon', () => lanes.cordon(), 'Node cordoned: shared lanes left, its own lane still served'),
    command('agent.uncordon', () => lanes.uncordon(), 'Node uncordoned: shared lanes joined while FreeSWITCH is ready'),
  ];
}
