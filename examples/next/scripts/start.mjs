// `pnpm start`: the examples' contract (PORT, HOOKRUN_WEBHOOK_ID, HOOKRUN_WEBHOOK_TOKEN,
// HOOKRUN_DASHBOARD_TOKEN) on `next start`.
// The tokens are settled here, once, so the route modules and the banner agree on them.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { demoConfig, printStartup } from "@hookrun-examples/demo";

const config = demoConfig();
const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
const child = spawn(process.execPath, [nextBin, "start", "-p", String(config.port)], {
  stdio: "inherit",
  env: { ...process.env, HOOKRUN_WEBHOOK_ID: config.webhookId, HOOKRUN_WEBHOOK_TOKEN: config.token, HOOKRUN_DASHBOARD_TOKEN: config.dashboardToken },
});
printStartup("next", config);
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
