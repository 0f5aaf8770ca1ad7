import type { TestProject } from "vitest/node";
import { startTestRedis } from "./redis";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/** Vitest globalSetup: one Redis for the whole project (REDIS_URL, or an own redis-server). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await startTestRedis();
  project.provide("redisUrl", redis.url);
  return () => redis.stop();
}
