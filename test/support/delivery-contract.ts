import { createHmac } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { githubSignature, standardWebhooksSignature, stripeSignature } from "@hookrun/cli";
import { createInboundWebhooks, github, slack, standardWebhooks, stripe, type InboundWebhooks, type Runner, type RunnerOptions } from "@hookrun/core";
import { recorder, type Recorder } from "./events";
import { serveHooks, type HooksServer } from "./hooks-server";

const SVIX_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const GITHUB_SECRET = "It's a Secret to Everybody";
const STRIPE_SECRET = "whsec_stripe_test_secret";
const SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const now = () => Math.floor(Date.now() / 1000);
const slackSignature = (body: string, timestamp: number) => `v0=${createHmac("sha256", SLACK_SECRET).update(`v0:${timestamp}:${body}`).digest("hex")}`;

interface Setup {
  hooks: InboundWebhooks;
  server: HooksServer;
  rec: Recorder;
  /** Every run the agents started: webhook id, runId, ctx.deliveryId. */
  runs: Array<{ webhookId: string; runId: string; deliveryId: string | undefined }>;
}

/**
 * Each sender whose verifier hookrun ships names its deliveries somewhere of its own: a retry, or a
 * captured request replayed within the signature's tolerance, must answer the first `runId` and
 * start no second run. Real HTTP, correctly signed requests, against any runner.
 */
export function senderDeliveryIds(name: string, makeRunner: (options: RunnerOptions) => Runner): void {
  describe(`sender delivery ids: ${name}`, () => {
    const open: Setup[] = [];
    afterEach(async () => {
      for (const { hooks, server } of open.splice(0)) {
        await server.close();
        await hooks.close({ timeoutMs: 500 });
      }
    });

    async function setup(): Promise<Setup> {
      const rec = recorder();
      const runs: Setup["runs"] = [];
      const agent = (envelope: { inboundWebhookId: string }, ctx: { runId: string; deliveryId: string | undefined }) =>
        void runs.push({ webhookId: envelope.inboundWebhookId, runId: ctx.runId, deliveryId: ctx.deliveryId });
      const hooks = createInboundWebhooks({
        webhooks: [
          { id: "svix", auth: standardWebhooks({ secret: SVIX_SECRET }), agent },
          { id: "github", auth: github({ secret: GITHUB_SECRET }), agent },
          { id: "stripe", auth: stripe({ secret: STRIPE_SECRET }), agent },
          { id: "slack", auth: slack({ signingSecret: SLACK_SECRET }), agent },
        ],
        runner: makeRunner({}),
        logger: rec.logger,
        onEvent: rec.onEvent,
      });
      const server = await serveHooks(hooks);
      const result = { hooks, server, rec, runs };
      open.push(result);
      return result;
    }

    /** Posts the deliveries in order and checks: one run per distinct delivery, every repeat answered its runId. */
    async function expectOneRunPerDelivery(
      setupResult: Setup,
      webhookId: string,
      deliveries: Array<{ body: string; headers: Record<string, string>; deliveryId: string }>,
    ): Promise<void> {
      const { server, rec, runs } = setupResult;
      const firstRunId = new Map<string, string>();
      for (const delivery of deliveries) {
        const res = await server.post(webhookId, delivery.body, delivery.headers);
        expect(res.status, JSON.stringify(res.json)).toBe(202);
        const known = firstRunId.get(delivery.deliveryId);
        if (known === undefined) {
          expect(res.headers.get("idempotent-replayed")).toBeNull();
          firstRunId.set(delivery.deliveryId, res.json.runId as string);
        } else {
          expect(res.headers.get("idempotent-replayed")).toBe("true");
          expect(res.json.runId).toBe(known);
        }
      }
      await rec.waitFor("run.succeeded", firstRunId.size);
      await sleep(300); // a second run, if one had been started, would show by now
      const mine = runs.filter((run) => run.webhookId === webhookId);
      expect(mine.map((run) => [run.deliveryId, run.runId]).sort()).toEqual([...firstRunId].sort());
    }

    it("Svix: a retry (same svix-id, new timestamp and signature) and a captured replay start no second run", async () => {
      const s = await setup();
      const body = '{"type":"invoice.paid","data":{"id":"inv_1"}}';
      const signed = (id: string, timestamp: number) => ({
        "svix-id": id,
        "svix-timestamp": String(timestamp),
        "svix-signature": standardWebhooksSignature(SVIX_SECRET, id, timestamp, body),
      });
      const first = signed("msg_2Lq1", now() - 30);
      await expectOneRunPerDelivery(s, "svix", [
        { body, headers: first, deliveryId: "msg_2Lq1" },
        { body, headers: signed("msg_2Lq1", now()), deliveryId: "msg_2Lq1" }, // Svix's retry
        { body, headers: first, deliveryId: "msg_2Lq1" }, // the captured request, replayed within 5 minutes
        { body, headers: signed("msg_other", now()), deliveryId: "msg_other" },
      ]);
    });

    it("Standard Webhooks: the same webhook-id retried or replayed starts no second run", async () => {
      const s = await setup();
      const body = '{"type":"user.created"}';
      const signed = (id: string, timestamp: number) => ({
        "webhook-id": id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": standardWebhooksSignature(SVIX_SECRET, id, timestamp, body),
      });
      const first = signed("msg_std_1", now());
      await expectOneRunPerDelivery(s, "svix", [
        { body, headers: first, deliveryId: "msg_std_1" },
        { body, headers: first, deliveryId: "msg_std_1" },
        { body, headers: signed("msg_std_1", now() + 1), deliveryId: "msg_std_1" },
      ]);
    });

    it("GitHub: a redelivery (same X-GitHub-Delivery) starts no second run", async () => {
      const s = await setup();
      const body = '{"action":"opened","number":7}';
      const headers = (guid: string) => ({ "x-github-event": "pull_request", "x-github-delivery": guid, "x-hub-signature-256": githubSignature(GITHUB_SECRET, body) });
      await expectOneRunPerDelivery(s, "github", [
        { body, headers: headers("72d3162e-cc78-11e3-81ab-4c9367dc0958"), deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958" },
        { body, headers: headers("72d3162e-cc78-11e3-81ab-4c9367dc0958"), deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958" },
        { body, headers: headers("8a1b2c3d-0000-11e3-81ab-4c9367dc0958"), deliveryId: "8a1b2c3d-0000-11e3-81ab-4c9367dc0958" },
      ]);
    });

    it("Stripe: the event id in the payload is the delivery id; a retry (new t, new signature) starts no second run", async () => {
      const s = await setup();
      const event = (id: string) => JSON.stringify({ id, object: "event", type: "checkout.session.completed", data: { object: { id: "cs_1" } } });
      const signed = (body: string, timestamp: number) => ({ "stripe-signature": stripeSignature(STRIPE_SECRET, body, timestamp) });
      const body = event("evt_1NG8Du2eZvKYlo2C");
      await expectOneRunPerDelivery(s, "stripe", [
        { body, headers: signed(body, now() - 60), deliveryId: "evt_1NG8Du2eZvKYlo2C" },
        { body, headers: signed(body, now()), deliveryId: "evt_1NG8Du2eZvKYlo2C" },
        { body: event("evt_other"), headers: signed(event("evt_other"), now()), deliveryId: "evt_other" },
      ]);
    });

    it("Slack: an Events API retry (X-Slack-Retry-Num, same event_id) starts no second run", async () => {
      const s = await setup();
      const body = JSON.stringify({ type: "event_callback", event_id: "Ev08MFMKH6", team_id: "T1", event: { type: "app_mention", text: "hi" } });
      const signed = (timestamp: number, retry?: number) => ({
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": slackSignature(body, timestamp),
        ...(retry === undefined ? {} : { "x-slack-retry-num": String(retry), "x-slack-retry-reason": "http_timeout" }),
      });
      await expectOneRunPerDelivery(s, "slack", [
        { body, headers: signed(now() - 5), deliveryId: "Ev08MFMKH6" },
        { body, headers: signed(now(), 1), deliveryId: "Ev08MFMKH6" },
        { body, headers: signed(now(), 2), deliveryId: "Ev08MFMKH6" },
      ]);
    });
  });
}
