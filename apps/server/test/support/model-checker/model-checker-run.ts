import { startSqld } from '@liveframe/native/testing';
import type { LiveframeServer } from '@liveframe/server';
import { startServer } from '../../../src/testing/index.ts';
import { checkerPermissions, checkerRouter } from './checker-router.ts';
import {
  CHECKER_SCHEMA,
  CHECKER_TOKENS,
  checkerIdentity,
  ownerOf,
  SEED_STATEMENTS,
} from './checker-schema.ts';
import { SENTINEL_MUTATION } from './mutation-kinds.ts';
import { reached } from './positions.ts';
import { PrimaryOracle } from './primary-oracle.ts';
import { type DeliveryMode, ProtocolClient, queryKey, type ServerEndpoint } from './protocol-client.ts';
import { QUERY_SHAPES, SENTINEL_SHAPE, shapeNamed } from './query-shapes.ts';
import { SeededRandom } from './seeded-random.ts';
import { randomInput, randomMutation, randomShape, randomStep } from './workload.ts';
import { PROFILES, type WorkloadProfile } from './workload-profiles.ts';

export interface CheckerOptions {
  readonly seed: number;
  readonly steps: number;
  readonly clients?: number;
  readonly servers?: number;
  /** Steps between two quiescence checks. */
  readonly batch?: number;
  readonly delivery?: DeliveryMode;
  /** Which steps and writes the workload draws (default `mixed`, see workload-profiles.ts). */
  readonly profile?: WorkloadProfile;
  /** Every log line (steps, acks, checks), e.g. `console.log` in soak mode. */
  readonly log?: (line: string) => void;
}

export interface Violation {
  readonly profile: string;
  readonly seed: number;
  readonly step: number;
  readonly check: number;
  readonly kind:
    | 'wrong-result'
    | 'no-result'
    | 'sentinel-missed'
    | 'server-behind'
    | 'not-settled'
    | 'protocol';
  readonly client: string;
  readonly server: string;
  readonly key: string;
  readonly detail: string;
  /** The steps before the check (and this client's own, further back). */
  readonly recentSteps: readonly string[];
}

export interface CheckerResult {
  readonly profile: string;
  readonly delivery: DeliveryMode;
  readonly seed: number;
  readonly steps: number;
  readonly writes: number;
  readonly checks: number;
  /** Results compared with the oracle. */
  readonly comparisons: number;
  readonly violations: readonly Violation[];
  readonly shapesMounted: ReadonlySet<string>;
  readonly mutationKinds: ReadonlySet<string>;
  /**
   * Targeted steps of profiles that aim at a trigger (`awayKeys`, `renameMoved`): moves of an item
   * whose query only away clients held, mounts of such a query next to its away holder, and
   * renames of the owner such a move gave once an open stream holds the query again.
   */
  readonly targeted: {
    readonly awayMoves: number;
    readonly twinMounts: number;
    readonly strandedRenames: number;
  };
  /** Fetches the clients sent, and pushed results they applied / skipped (held data was newer). */
  readonly fetches: number;
  readonly pushedApplied: number;
  readonly pushedSkipped: number;
  readonly wallMs: number;
}

const SENTINEL_KEY = queryKey(SENTINEL_SHAPE.name, {});
const SETTLE_MS = 15_000;
const SENTINEL_MS = 6_000;
/** How long a disconnect step waits for the server to end the client's stream. */
const STREAM_END_MS = 5_000;

/**
 * One seeded run: a sqld primary, replica-mode servers on it, protocol-model clients, random
 * steps, and after every batch a quiescence barrier and a comparison of every held result with
 * the primary's answer.
 */
export async function runModelChecker(options: CheckerOptions): Promise<CheckerResult> {
  const started = Date.now();
  const random = new SeededRandom(options.seed);
  const delivery = options.delivery ?? 'invalidate';
  const profile = options.profile ?? PROFILES.mixed!;
  const stepLog: { index: number; client: string; text: string }[] = [];
  const log = (line: string) => options.log?.(`[${profile.name} seed ${options.seed}] ${line}`);
  const violations: Violation[] = [];
  const shapesMounted = new Set<string>();
  const mutationKinds = new Set<string>();
  let writes = 0;
  let checks = 0;
  let comparisons = 0;
  let stepIndex = -1;
  let tick = 0;
  /** Items moved while only away clients held their foreign-key query (not moved since), and to whom. */
  const movedWhileAway = new Map<number, number>();
  /** Owners renamed since the last check (their stories are told once checked). */
  const renamedSinceCheck = new Set<number>();
  const targeted = { awayMoves: 0, twinMounts: 0, strandedRenames: 0 };

  await using sqld = await startSqld();
  const serverConfig = { syncIntervalMs: 20, minFrameTimeoutMs: 10_000, peerSecret: 'model-checker-peers' };
  const common = {
    mode: 'replica',
    primaryUrl: sqld.url,
    router: checkerRouter,
    schema: CHECKER_SCHEMA,
    permissions: checkerPermissions,
    authenticate: checkerIdentity,
  } as const;
  // Disposed in reverse order when the run ends (clients, then servers, then sqld).
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const servers: LiveframeServer[] = [];
    // Peers point at the servers started before (ports are only known after start); polling
    // covers the other directions.
    for (let i = 0; i < (options.servers ?? profile.servers ?? 3); i++) {
      const server = await startServer({
        ...common,
        config: { ...serverConfig, ...(i === 0 ? {} : { peers: servers.map((s) => s.url) }) },
      });
      cleanups.push(() => server.close());
      servers.push(server);
      if (i === 0) await sqld.batch(SEED_STATEMENTS);
    }
    const endpoints: ServerEndpoint[] = servers.map((s, i) => ({ name: `s${i + 1}`, wsUrl: s.wsUrl }));

    const clients: ProtocolClient[] = [];
    const identities = Math.max(
      1,
      Math.min(profile.identities ?? CHECKER_TOKENS.length, CHECKER_TOKENS.length),
    );
    for (let i = 0; i < (options.clients ?? profile.clients ?? 8); i++) {
      const client = new ProtocolClient({
        name: `c${i + 1}`,
        // Pairs per identity, spread over servers: some share a server (and its read-set cache), some not.
        token: CHECKER_TOKENS[Math.floor(i / 2) % identities]!,
        subscriptionId: `mc-${options.seed}-c${i + 1}-${process.pid}`,
        delivery,
        log,
      });
      cleanups.push(() => client.disconnect());
      clients.push(client);
      client.mount(SENTINEL_SHAPE.name, {});
      for (let q = 0; q < (profile.initialMounts ?? 3); q++) {
        // Without a shape list, the first mounts go round every shape so each one is exercised.
        const shape =
          profile.shapes === undefined
            ? QUERY_SHAPES[(i * (profile.initialMounts ?? 3) + q) % QUERY_SHAPES.length]!
            : randomShape(random, profile);
        shapesMounted.add(shape.name);
        client.mount(shape.name, randomInput(random, shape, profile));
      }
      client.connect(endpoints[i % endpoints.length]!);
    }
    const oracle = new PrimaryOracle(sqld);

    const record = (client: ProtocolClient | undefined, text: string) => {
      const line = `#${stepIndex} ${client === undefined ? '-' : `${client.name}(${client.token})@${client.server?.name ?? '?'}`} ${text}`;
      stepLog.push({ index: stepIndex, client: client?.name ?? '-', text: line });
      log(line);
    };
    const recentFor = (client: string) => {
      const recent = stepLog.slice(-16);
      const own = stepLog.filter((s) => s.client === client && !recent.includes(s)).slice(-8);
      return [...own.map((s) => `(own) ${s.text}`), ...recent.map((s) => s.text)];
    };
    const violate = (v: Omit<Violation, 'profile' | 'seed' | 'step' | 'check' | 'recentSteps'>) => {
      violations.push({
        ...v,
        profile: profile.name,
        seed: options.seed,
        step: stepIndex,
        check: checks,
        recentSteps: recentFor(v.client),
      });
      log(`VIOLATION ${v.kind} ${v.client}@${v.server} ${v.key}: ${v.detail}`);
    };
    const until = async (deadline: number, done: () => boolean) => {
      // Progress comes from sockets; yield to the event loop until the condition holds.
      while (!done()) {
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return true;
    };

    /**
     * Non-sentinel queries held by disconnected clients that their sessions keep on the server: those
     * with a result (a query mounted while away was never fetched, nor registered).
     */
    const awayHeld = () =>
      clients
        .filter((holder) => !holder.connected)
        .flatMap((holder) =>
          [...holder.mounted.values()]
            .filter((entry) => entry.key !== SENTINEL_KEY && entry.result !== undefined)
            .map((entry) => ({ holder, entry })),
        );
    const heldKeys = (client: ProtocolClient) =>
      [...client.mounted.keys()].filter((k) => k !== SENTINEL_KEY).join(' ') || 'nothing';
    const sameSession = (a: ProtocolClient, b: ProtocolClient) =>
      a.token === b.token && a.server === b.server;
    /**
     * Mounts of a foreign-key query an away client holds and whose item moved while it was away,
     * on another client of its identity and server.
     */
    const awayMounts = () =>
      awayHeld()
        .filter(({ entry }) => entry.shape === 'itemWithOwner' && movedWhileAway.has(entry.input.id ?? -1))
        .flatMap(({ holder, entry }) =>
          clients
            .filter((c) => c !== holder && sameSession(c, holder) && !c.mounted.has(entry.key))
            .map((client) => ({ client, holder, entry })),
        );
    /** Connected clients that are the only open stream of their identity and server holding some query. */
    const soleHolders = () =>
      clients.filter(
        (c) =>
          c.connected &&
          [...c.mounted.keys()].some(
            (key) =>
              key !== SENTINEL_KEY &&
              !clients.some((o) => o !== c && o.connected && sameSession(o, c) && o.mounted.has(key)),
          ),
      );
    /** Items whose foreign-key query only away clients hold (no open stream of that identity has it). */
    const awayItemIds = () => [
      ...new Set(
        awayHeld()
          .filter(
            ({ holder, entry }) =>
              entry.shape === 'itemWithOwner' &&
              entry.input.id !== undefined &&
              !clients.some((c) => c.connected && sameSession(c, holder) && c.mounted.has(entry.key)),
          )
          .map(({ entry }) => entry.input.id!),
      ),
    ];

    /** Owners moves gave items while their query was away, once an open stream holds the query again. */
    const strandedOwners = () => [
      ...new Set(
        [...movedWhileAway]
          .filter(([item]) =>
            clients.some((c) => c.connected && c.mounted.has(queryKey('itemWithOwner', { id: item }))),
          )
          .map(([, owner]) => owner),
      ),
    ];

    const write = async (via: ProtocolClient) => {
      // One move per item while away: a second one could move it back to the owner its cached read-set has.
      const away =
        profile.awayKeys === undefined ? [] : awayItemIds().filter((item) => !movedWhileAway.has(item));
      const stranded = profile.renameMoved === undefined ? [] : strandedOwners();
      const currentOwners = new Map<number, number | null>();
      for (const item of away) {
        const { rows } = await sqld.execute('SELECT owner_id FROM items WHERE id = ?', [item]);
        currentOwners.set(item, (rows[0]?.[0] as number | null | undefined) ?? null);
      }
      const { kind, args } = randomMutation(random, stepIndex, profile, {
        awayItemIds: away,
        movedWhileAway: [...movedWhileAway.keys()],
        strandedOwners: stranded,
        currentOwners,
      });
      mutationKinds.add(kind.name);
      try {
        const frame = await via.mutate(`mc.${kind.name}`, args);
        writes++;
        const awayMove = kind.name === 'moveItem' && away.includes(args.id);
        if (awayMove) {
          movedWhileAway.set(args.id, args.owner);
          targeted.awayMoves++;
        } else if (kind.name === 'moveItem') movedWhileAway.delete(args.id);
        if (kind.name === 'renameOwner' && stranded.includes(args.owner)) {
          renamedSinceCheck.add(args.owner);
          targeted.strandedRenames++;
        }
        const note = awayMove ? ' (only away clients hold its query)' : '';
        record(via, `write ${kind.name} ${JSON.stringify(args)} -> ${frame}${note}`);
      } catch (error) {
        record(via, `write ${kind.name} ${JSON.stringify(args)} failed: ${String(error).slice(0, 120)}`);
      }
    };

    const step = async () => {
      const kind = randomStep(random, profile);
      const client = random.pick(clients);
      switch (kind) {
        case 'write': {
          const connected = clients.filter((c) => c.connected);
          if (connected.length > 0) await write(random.pick(connected));
          return;
        }
        case 'mount': {
          let shape = randomShape(random, profile);
          let input = randomInput(random, shape, profile);
          let target = client;
          let twin: ReturnType<typeof awayMounts>[number] | undefined;
          if (profile.awayKeys !== undefined) {
            const away = awayMounts();
            if (away.length > 0 && random.chance(profile.awayKeys)) {
              twin = random.pick(away);
              target = twin.client;
              shape = shapeNamed(twin.entry.shape);
              input = twin.entry.input;
            }
          }
          shapesMounted.add(shape.name);
          const replaced: string[] = [];
          if (profile.singleQuery === true) {
            const next = queryKey(shape.name, input);
            for (const key of [...target.mounted.keys()]) {
              if (key === SENTINEL_KEY || key === next) continue;
              target.unmount(key);
              replaced.push(key);
            }
          }
          const key = target.mount(shape.name, input);
          // A twin's registration is in place before the next write.
          if (twin !== undefined) {
            targeted.twinMounts++;
            await settleRegistration(target);
          }
          record(
            target,
            `mount ${key}${target.connected ? '' : ' (while disconnected)'}` +
              (twin === undefined ? '' : ` (held by away ${twin.holder.name})`) +
              (replaced.length === 0 ? '' : ` (unmounted ${replaced.join(' ')})`),
          );
          return;
        }
        case 'unmount': {
          const keys = [...client.mounted.keys()].filter((k) => k !== SENTINEL_KEY);
          if (keys.length === 0) return;
          const key = random.pick(keys);
          client.unmount(key);
          record(client, `unmount ${key}${client.connected ? '' : ' (while disconnected)'}`);
          return;
        }
        case 'disconnect': {
          let target = client;
          if (profile.awayKeys !== undefined) {
            const sole = soleHolders();
            if (sole.length > 0 && random.chance(profile.awayKeys)) target = random.pick(sole);
            // Someone stays connected to write.
            if (!clients.some((c) => c !== target && c.connected)) return;
          }
          if (!target.connected) return;
          record(target, `disconnect (holds ${heldKeys(target)})`);
          await disconnectFully(target);
          return;
        }
        case 'reconnect': {
          const server = client.server!;
          await settleRegistration(client);
          await client.disconnect();
          client.connect(server);
          record(client, `reconnect to ${server.name} lastEventId=${client.lastEventId}`);
          return;
        }
        case 'move': {
          const others = endpoints.filter((e) => e !== client.server);
          const server = random.pick(others);
          await client.disconnect();
          client.connect(server);
          record(client, `move to ${server.name} lastEventId=${client.lastEventId}`);
          return;
        }
        case 'resend':
        case 'resend-reconnect': {
          if (!client.connected) return;
          await settleRegistration(client);
          client.resendRegistration();
          await settleRegistration(client);
          record(client, `re-send registration (replace: true, ${client.mounted.size} keys)`);
          if (kind === 'resend-reconnect') {
            const server = client.server!;
            await client.disconnect();
            client.connect(server);
            record(client, `reconnect to ${server.name} lastEventId=${client.lastEventId}`);
          }
          return;
        }
      }
    };

    /** Waits (bounded) for a client's pending registration work, so a step acts on a known state. */
    async function settleRegistration(client: ProtocolClient) {
      if (!client.connected) return;
      await until(Date.now() + SETTLE_MS, () => client.idle);
    }

    /**
     * Disconnects and waits (bounded) until the server has ended the client's stream, so the next
     * step runs against a server that holds the client's session as away (its grace period).
     * The server's open streams are counted once every connected client on it has its stream.
     */
    async function disconnectFully(client: ProtocolClient) {
      const endpoint = client.server!;
      const hub = servers[endpoints.indexOf(endpoint)]!.services.hub;
      const deadline = Date.now() + STREAM_END_MS;
      for (const other of clients) {
        if (other.connected && other.server === endpoint) await until(deadline, () => other.idle);
      }
      const open = hub.stats().subscriptions;
      await client.disconnect();
      if (!(await until(deadline, () => hub.stats().subscriptions < open))) {
        record(client, `server ${endpoint.name} did not end the stream within ${STREAM_END_MS} ms`);
      }
    }

    const check = async () => {
      checks++;
      record(undefined, `check ${checks}: quiescence`);
      for (const client of clients) {
        if (!client.connected) {
          client.connect(client.server!);
          record(
            client,
            `reconnect to ${client.server!.name} for the check lastEventId=${client.lastEventId}`,
          );
        }
      }
      const settleBy = Date.now() + SETTLE_MS;
      for (const client of clients) {
        if (!(await until(settleBy, () => client.idle))) {
          violate({
            kind: 'not-settled',
            client: client.name,
            server: client.server!.name,
            key: '-',
            detail: 'not idle',
          });
        }
      }
      // The barrier: a sentinel write every client has mounted; its invalidation comes after every
      // earlier event on each subscription, so seeing its new value means the stream drained.
      const writer = random.pick(clients);
      tick++;
      const frame = await writer.mutate(`mc.${SENTINEL_MUTATION.name}`, {
        id: 1,
        id2: 1,
        owner: 1,
        qty: tick,
        name: '',
        sku: '',
      });
      record(writer, `sentinel ${tick} -> ${frame}`);
      const reachBy = Date.now() + SETTLE_MS;
      for (const [i, server] of servers.entries()) {
        if (!(await until(reachBy, () => reached(server.services.hub.position, frame)))) {
          violate({
            kind: 'server-behind',
            client: '-',
            server: endpoints[i]!.name,
            key: '-',
            detail: `hub not at ${frame}`,
          });
        }
      }
      const sentinelBy = Date.now() + SENTINEL_MS;
      for (const client of clients) {
        const seen = await until(sentinelBy, () => {
          const value = client.mounted.get(SENTINEL_KEY)?.result?.value as { n?: number } | null | undefined;
          return value?.n === tick && client.idle;
        });
        if (!seen) {
          const held = client.mounted.get(SENTINEL_KEY)?.result?.json;
          violate({
            kind: 'sentinel-missed',
            client: client.name,
            server: client.server!.name,
            key: SENTINEL_KEY,
            detail: `sentinel ${tick} (${frame}) not seen within ${SENTINEL_MS} ms; holds ${held}, idle=${client.idle}`,
          });
          await client.drained(Date.now() + SETTLE_MS).catch(() => undefined);
        }
      }
      oracle.reset();
      const repair: [ProtocolClient, string][] = [];
      for (const client of clients) {
        const ownerId = ownerOf({ userId: client.token });
        for (const entry of client.mounted.values()) {
          if (entry.key === SENTINEL_KEY) continue;
          comparisons++;
          const expected = await oracle.expected(entry.shape, entry.input, ownerId);
          const base = {
            client: `${client.name}(${client.token})`,
            server: client.server!.name,
            key: entry.key,
          };
          if (entry.result === undefined) {
            violate({
              ...base,
              kind: 'no-result',
              detail: `no result held (last error: ${entry.lastError})`,
            });
            repair.push([client, entry.key]);
          } else if (entry.result.json !== expected) {
            violate({
              ...base,
              kind: 'wrong-result',
              detail:
                `holds ${entry.result.json} (${entry.result.pushed ? `pushed, read at ${entry.result.at}` : `fetched with minFrame ${entry.result.minFrame}`}),` +
                ` primary has ${expected}`,
            });
            repair.push([client, entry.key]);
          }
        }
        for (const anomaly of client.anomalies.splice(0)) {
          violate({
            kind: 'protocol',
            client: client.name,
            server: client.server!.name,
            key: '-',
            detail: anomaly.message,
          });
        }
      }
      // Reported once: the client refetches so the next check finds only new divergences.
      for (const [client, key] of repair) client.refetchNow(key);
      for (const client of clients) await client.drained(Date.now() + SETTLE_MS).catch(() => undefined);
      record(undefined, `check ${checks}: ${violations.length} violations so far`);
      for (const [item, owner] of movedWhileAway)
        if (renamedSinceCheck.has(owner)) movedWhileAway.delete(item);
      renamedSinceCheck.clear();
    };

    const batch = options.batch ?? profile.batch ?? 8;
    for (stepIndex = 0; stepIndex < options.steps; stepIndex++) {
      await step();
      if ((stepIndex + 1) % batch === 0 || stepIndex === options.steps - 1) await check();
    }
    const total = (count: (client: ProtocolClient) => number) =>
      clients.reduce((sum, client) => sum + count(client), 0);
    return {
      profile: profile.name,
      delivery,
      seed: options.seed,
      steps: options.steps,
      writes,
      checks,
      comparisons,
      violations,
      shapesMounted,
      mutationKinds,
      targeted,
      fetches: total((c) => c.fetches),
      pushedApplied: total((c) => c.pushedApplied),
      pushedSkipped: total((c) => c.pushedSkipped),
      wallMs: Date.now() - started,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

/** A readable report: counts by kind, then each violation with its recent steps. */
export function formatViolations(violations: readonly Violation[], limit = 12): string {
  if (violations.length === 0) return 'no violations';
  const byKind = new Map<string, number>();
  for (const v of violations) byKind.set(v.kind, (byKind.get(v.kind) ?? 0) + 1);
  const byProfile = new Map<string, number>();
  for (const v of violations) byProfile.set(v.profile, (byProfile.get(v.profile) ?? 0) + 1);
  const lines = [
    `${violations.length} violations (${[...byKind].map(([k, n]) => `${k}: ${n}`).join(', ')}; by profile ${[...byProfile].map(([p, n]) => `${p}: ${n}`).join(', ')})`,
  ];
  for (const v of violations.slice(0, limit)) {
    lines.push(
      '',
      `${v.profile} seed ${v.seed} step ${v.step} check ${v.check}: ${v.kind} client ${v.client} on ${v.server} key ${v.key}`,
      `  ${v.detail}`,
      ...v.recentSteps.map((s) => `    ${s}`),
    );
  }
  if (violations.length > limit) lines.push('', `... ${violations.length - limit} more`);
  return lines.join('\n');
}
