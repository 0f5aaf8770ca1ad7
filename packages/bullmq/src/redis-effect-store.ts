import { toJson, type EffectState, type EffectStore } from "@hookrun/core";
import type { RedisClient } from "bullmq";

const BEGIN = "hookrunEffectBegin";
// Claims the key unless it exists, and answers what was there: one round trip, atomic, so two
// workers that pick up the same run at once cannot both see "new".
const BEGIN_LUA = `
local value = redis.call('GET', KEYS[1])
if value then return value end
redis.call('SET', KEYS[1], 'started', 'PX', ARGV[1])
return false`;

const defined = new WeakSet<object>();

/**
 * The effect store of `bullmqRunner`: one Redis string per key, on the queue's own connection and
 * under its prefix (`<prefix>:<queue>:effect:<key>`), expiring after `ttlMs`. Every worker process
 * sees the same entries, so an attempt after a `kill -9` knows which writes completed.
 * @internal
 */
export function redisEffectStore(client: () => Promise<RedisClient>, toKey: (key: string) => string, ttlMs: number): EffectStore {
  async function ready(): Promise<RedisClient> {
    const redis = await client();
    if (!defined.has(redis)) {
      redis.defineCommand(BEGIN, { numberOfKeys: 1, lua: BEGIN_LUA });
      defined.add(redis);
    }
    return redis;
  }

  return {
    async begin(key): Promise<EffectState> {
      const found: string | null = await (await ready()).runCommand(BEGIN, [toKey(key), ttlMs]);
      if (found === null || found === undefined) return { state: "new" };
      if (found.startsWith("c:")) return { state: "completed", result: JSON.parse(found.slice(2)) };
      return { state: "started" };
    },
    async complete(key, result) {
      await (await ready()).set(toKey(key), `c:${toJson(result)}`, { PX: ttlMs });
    },
  };
}
