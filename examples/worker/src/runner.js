import { bullmqRunner } from "@hookrun/bullmq";

/**
 * The runner both processes share: same Redis, same queue. REDIS_URL (default
 * redis://127.0.0.1:6379), HOOKRUN_QUEUE (default "hookrun"), WORKER_CONCURRENCY (default 4).
 */
export function demoRunner(env = process.env) {
  const url = new URL(env.REDIS_URL || "redis://127.0.0.1:6379");
  return bullmqRunner({
    connection: {
      host: url.hostname,
      port: Number(url.port || 6379),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.protocol === "rediss:" ? { tls: {} } : {}),
      // Workers block on Redis; BullMQ requires ioredis to retry forever rather than give up.
      maxRetriesPerRequest: null,
    },
    queueName: env.HOOKRUN_QUEUE || "hookrun",
    concurrency: Number(env.WORKER_CONCURRENCY || 4),
  });
}
