import { describeError, type Logger } from "@hookrun/core";
import { isRedisInstance } from "bullmq";
import { Redis, type Cluster, type RedisOptions } from "ioredis";

/** A Redis client hookrun talks to: a standalone ioredis client or an ioredis Cluster. */
export type RedisClient = Redis | Cluster;

/** What {@link BackendHealth.state} reports to `health()` and the logs. */
export interface BackendState {
  /** `true` while every watched Redis connection is up. */
  ok: boolean;
  /** `"connecting"` before the first connection, `"up"`, or `"down"` during an outage. */
  state: "connecting" | "up" | "down";
  /** Since when (epoch ms) the state holds. */
  since: number;
  /** Why it is down (an error message, never a credential). */
  detail?: string;
}

/**
 * One outage state for a runner's Redis connections, fed by their events: the first connection
 * that drops logs ONE error line ("queue backend unreachable"), the last one back logs one info
 * line, however many requests, reconnect attempts and client errors happen in between.
 */
export interface BackendHealth {
  /** A connection went away (a close, or a connection error). */
  down(source: string, error?: unknown): void;
  /** A connection is ready again. */
  up(source: string): void;
  /** A command took too long on a connection that looks open (a hung or overloaded Redis). */
  slow(error: Error): void;
  /** A command succeeded: Redis answers. */
  answered(): void;
  /** `true` after an observed failure that no `ready` or answer has cleared since. */
  readonly isDown: boolean;
  /** `true` after a command timed out, until one answers: Redis looks connected but does not answer. */
  readonly unresponsive: boolean;
  state(): BackendState;
}

export function createBackendHealth(logger: () => Logger): BackendHealth {
  const downSources = new Map<string, string | undefined>();
  let unresponsive: string | undefined;
  let everUp = false;
  let since = Date.now();
  let outage = false;

  function changed(): void {
    const nowDown = downSources.size > 0 || unresponsive !== undefined;
    if (nowDown === outage) return;
    const downMs = Date.now() - since;
    outage = nowDown;
    since = Date.now();
    if (nowDown) {
      logger().error({ backend: "redis", detail: detail() }, "queue backend unreachable: answering 503 queue_unavailable until Redis is back");
    } else {
      logger().info({ backend: "redis", downMs }, "queue backend reachable again");
    }
  }

  function detail(): string | undefined {
    return unresponsive ?? [...downSources.values()].find((value) => value !== undefined);
  }

  return {
    down(source, error) {
      downSources.set(source, error === undefined ? downSources.get(source) : describeError(error).message);
      changed();
    },
    up(source) {
      everUp = true;
      downSources.delete(source);
      changed();
    },
    slow(error) {
      unresponsive = error.message;
      changed();
    },
    answered() {
      everUp = true;
      unresponsive = undefined;
      changed();
    },
    get isDown() {
      return outage;
    },
    get unresponsive() {
      return unresponsive !== undefined;
    },
    state() {
      const d = detail();
      if (outage) return { ok: false, state: "down", since, ...(d === undefined ? {} : { detail: d }) };
      return { ok: everUp, state: everUp ? "up" : "connecting", since };
    },
  };
}

/** Errors that mean "Redis cannot be reached right now", as opposed to a bug or a bad command. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)$/.test(code)) return true;
  return (
    error.name === "MaxRetriesPerRequestError" ||
    error.name === "ClusterAllFailedError" ||
    /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|Failed to refresh slots cache|did not answer within/.test(error.message) ||
    /^(LOADING|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|READONLY)\b/.test(error.message)
  );
}

/** What {@link watchConnection} listens to: an ioredis client, or a BullMQ backend (which re-emits its clients' events). */
interface ConnectionEvents {
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
}

/**
 * Feeds `health` from a connection's events; returns a function that removes the listeners.
 * ioredis emits `close` on every drop (a killed Redis, a reset) and `ready` when it is usable again.
 */
export function watchConnection(connection: ConnectionEvents, source: string, health: BackendHealth): () => void {
  const onReady = () => health.up(source);
  const onClose = () => health.down(source);
  const onError = (error: unknown) => {
    if (isConnectionError(error)) health.down(source, error);
  };
  connection.on("ready", onReady);
  connection.on("close", onClose);
  connection.on("end", onClose);
  connection.on("error", onError);
  if ((connection as { status?: unknown }).status === "ready") health.up(source);
  return () => {
    connection.off("ready", onReady);
    connection.off("close", onClose);
    connection.off("end", onClose);
    connection.off("error", onError);
  };
}

/** Reconnect soon after Redis is back (BullMQ's default backs off to 20 s between attempts). */
function reconnectDelay(times: number): number {
  return Math.min(times * 200, 2_000);
}

/**
 * The client the ingress enqueues on. From options: a client of our own that fails fast while
 * disconnected (no offline queue, no retry of a command, no re-send after a reconnect), so a
 * request is answered `503` at once instead of waiting for Redis, and a job hookrun answered `503`
 * for is not added later behind the sender's back. An ioredis instance given by the caller is used
 * as it is (and left open on close).
 */
export function ingressClient(connection: object): { client: RedisClient; owned: boolean } {
  if (isRedisInstance(connection)) return { client: connection as RedisClient, owned: false };
  const { url, ...rest } = connection as RedisOptions & { url?: string };
  const options: RedisOptions = {
    retryStrategy: reconnectDelay,
    ...rest,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
  };
  return { client: url ? new Redis(url, options) : new Redis(options), owned: true };
}

/** Worker connection options from the caller's: BullMQ's required `maxRetriesPerRequest: null`, a quick reconnect. */
export function workerConnection<T extends object>(connection: T): T {
  if (isRedisInstance(connection)) return connection;
  return { retryStrategy: reconnectDelay, ...connection, maxRetriesPerRequest: null } as T;
}
