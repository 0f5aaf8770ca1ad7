import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { githubSignature, signingHeaders, standardWebhooksSignature, stripeSignature } from "@hookrun/cli";

const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data);

describe("githubSignature", () => {
  it("matches the test vector in GitHub's webhook documentation", () => {
    expect(githubSignature("It's a Secret to Everybody", "Hello, World!")).toBe(
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    );
  });

  it("signs the exact bytes, so a re-serialized body would not match", () => {
    const bytes = Buffer.from('{"a": 1,\n "é": "\\u00e9"}', "utf8");
    expect(githubSignature("s", bytes)).toBe(`sha256=${hmac("s", bytes.toString("utf8")).digest("hex")}`);
    expect(githubSignature("s", bytes)).not.toBe(githubSignature("s", JSON.stringify(JSON.parse(bytes.toString("utf8")))));
  });
});

describe("stripeSignature", () => {
  it("is t=<unix>,v1=<hex HMAC of `${t}.${body}`>", () => {
    const body = '{"id":"evt_1","type":"invoice.paid"}';
    expect(stripeSignature("whsec_stripe", body, 1_700_000_000)).toBe(
      `t=1700000000,v1=${hmac("whsec_stripe", `1700000000.${body}`).digest("hex")}`,
    );
  });
});

describe("standardWebhooksSignature", () => {
  it("matches the Standard Webhooks reference test vector", () => {
    const signature = standardWebhooksSignature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(signature).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("uses the base64-decoded secret as the key, with or without the whsec_ prefix", () => {
    const key = Buffer.from("0123456789abcdef0123456789abcdef");
    const secret = key.toString("base64");
    const expected = `v1,${hmac(key, "msg_1.42.{}").digest("base64")}`;
    expect(standardWebhooksSignature(`whsec_${secret}`, "msg_1", 42, "{}")).toBe(expected);
    expect(standardWebhooksSignature(secret, "msg_1", 42, "{}")).toBe(expected);
  });

  it.each([["whsec_"], ["whsec_not base64!"], ["%%%%"]])("refuses the secret %j with a message that does not repeat it", (secret) => {
    expect(() => standardWebhooksSignature(secret, "msg_1", 42, "{}")).toThrow(
      new TypeError("a Standard Webhooks secret must be base64, optionally after a `whsec_` prefix"),
    );
  });
});

describe("signingHeaders", () => {
  it("reuses the delivery id as webhook-id, so a resent delivery keeps its id", () => {
    const headers = signingHeaders({ scheme: "standard-webhooks", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }, '{"test": 2432232314}', {
      timestamp: 1614265330,
      deliveryId: "msg_p5jXN8AQM9LWM0D4loKWxJek",
    });
    expect(headers).toEqual({
      "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
      "webhook-timestamp": "1614265330",
      "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    });
  });

  it("makes up a fresh msg_ id per delivery when none is given", () => {
    const sign = () => signingHeaders({ scheme: "standard-webhooks", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }, "{}", { timestamp: 1 });
    const [first, second] = [sign()["webhook-id"], sign()["webhook-id"]];
    expect(first).toMatch(/^msg_[A-Za-z0-9_-]{22}$/);
    expect(first).not.toBe(second);
  });
});
