import * as core from "@hookrun/core";
import { makePayload } from "./payload.js";
const hooks = core.createInboundWebhooks({ webhooks: [{ id: "x", auth: core.bearer("t"), agent() {}, filter: () => false }] });
for (const size of [1024, 65536, 1048576]) {
  const body = Buffer.from(makePayload(size));
  const n = Math.max(20, Math.floor(20_000_000 / size));
  for (const maxDepth of [128, 100000]) {
    const h = core.createInboundWebhooks({ webhooks: [{ id: "x", auth: core.bearer("t"), agent() {}, filter: () => false }], maxDepth });
    const t = process.cpuUsage();
    for (let i = 0; i < n; i++) { const r = await h.handleInboundWebhook({ method: "POST", webhookId: "x", headers: { authorization: "Bearer t" }, body }); if (r.status !== 200) throw new Error(r.body); }
    const u = process.cpuUsage(t);
    console.log(size, maxDepth === 128 ? "scan   " : "no scan", (((u.user + u.system) / n)).toFixed(2), "µs/req");
  }
}
