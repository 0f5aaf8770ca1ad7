import { fileURLToPath } from "node:url";
import type { TestProjectConfiguration } from "vitest/config";

const src = (pkg: string, entry = "index") =>
  fileURLToPath(new URL(`./packages/${pkg}/src/${entry}.ts`, import.meta.url));

// Tests import the packages by their public names; resolve them to source so a test run never
// depends on a stale dist/. The example end-to-end tests run the built packages in child processes.
const alias = {
  "@hookrun/core/node": src("core", "node/index"),
  "@hookrun/core/fetch": src("core", "fetch/index"),
  "@hookrun/core": src("core"),
  "@hookrun/express": src("express"),
  "@hookrun/koa": src("koa"),
  "@hookrun/next": src("next"),
  "@hookrun/fastify": src("fastify"),
  "@hookrun/bullmq": src("bullmq"),
  "@hookrun/cli": src("cli"),
  "@hookrun/ai/test": src("ai", "test/index"),
  "@hookrun/ai": src("ai"),
  "@hookrun/dashboard": src("dashboard"),
};

const project = (name: string, include: string[], testTimeout = 20_000): TestProjectConfiguration => ({
  resolve: { alias },
  test: { name, include, testTimeout, hookTimeout: 300_000 },
});

export default [
  project("core", ["packages/core/src/**/*.test.ts"]),
  project("adapters", ["packages/{express,koa,next,fastify}/src/**/*.test.ts", "test/adapters/**/*.test.ts"]),
  project("ai", ["packages/ai/src/**/*.test.ts"]),
  project("examples", ["examples/*/test/**/*.test.ts"], 120_000),
  // Real Redis: REDIS_URL, or a redis-server the global setup starts on a free port.
  {
    resolve: { alias },
    test: {
      name: "bullmq",
      include: ["packages/bullmq/src/**/*.test.ts", "packages/bullmq/test/**/*.test.ts", "packages/ai/test/**/*.test.ts"],
      globalSetup: ["test/support/redis-global-setup.ts"],
      testTimeout: 60_000,
      hookTimeout: 300_000,
    },
  },
  // The CLI's process tests run the built binary (packages/cli/dist) against real servers.
  project("cli", ["packages/cli/src/**/*.test.ts", "packages/cli/test/**/*.test.ts"], 60_000),
  // The dashboard's API over real HTTP on every mount, and its UI in a real headless Chromium.
  project("dashboard", ["packages/dashboard/src/**/*.test.ts", "packages/dashboard/test/**/*.test.ts"], 60_000),
  // Installs the packed tarballs (after `pnpm build`) into a scratch npm project.
  project("packages", ["test/packages/**/*.test.ts"], 60_000),
] satisfies TestProjectConfiguration[];
