import { createHash, createHmac, randomBytes } from "node:crypto";
import { sign as octokitSign, verify as octokitVerify } from "@octokit/webhooks-methods";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { bearer, github, hmac, HookrunConfigError, slack, standardWebhooks, stripe, type Verifier } from "@hookrun/core";

type Headers = Record<string, string>;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const hex = (key: string | Uint8Array, ...parts: (string | Uint8Array)[]) => {
  const mac = createHmac("sha256", key);
  for (const part of parts) mac.update(part);
  return mac.digest("hex");
};
const b64 = (key: Uint8Array, content: string | Uint8Array) => createHmac("sha256", key).update(content).digest("base64");
const bytes = (text: string) => Buffer.from(text, "utf8");
const verify = async (verifier: Verifier, headers: Headers, body: Uint8Array | string) =>
  (await verifier.verify(headers, typeof body === "string" ? bytes(body) : body)) === true;

/** Every single-byte change of `value`: each position replaced by a few different bytes. */
function* byteMutations(value: Uint8Array): Generator<Buffer> {
  for (let index = 0; index < value.byteLength; index++) {
    const seen = new Set<number>([value[index]!]);
    for (const replacement of [value[index]! ^ 0x01, value[index]! ^ 0x20, 0x30, 0x61, 0x20, 0x2c, 0x3d]) {
      if (seen.has(replacement)) continue;
      seen.add(replacement);
      const copy = Buffer.from(value);
      copy[index] = replacement;
      yield copy;
    }
  }
}
const stringMutations = function* (value: string) {
  for (const mutated of byteMutations(bytes(value))) yield mutated.toString("latin1");
};

/** Asserts a valid request passes, then that every single-byte mutation of body and of each listed header fails. */
async function expectMutationsFail(verifier: Verifier, headers: Headers, body: string, mutableHeaders: readonly string[]) {
  expect(await verify(verifier, headers, body)).toBe(true);
  let tried = 0;
  for (const mutated of byteMutations(bytes(body))) {
    tried++;
    expect(await verify(verifier, headers, mutated), `body mutation ${mutated.toString("latin1")}`).toBe(false);
  }
  for (const name of mutableHeaders) {
    for (const mutated of stringMutations(headers[name]!)) {
      tried++;
      expect(await verify(verifier, { ...headers, [name]: mutated }, body), `${name}: ${mutated}`).toBe(false);
    }
  }
  expect(tried).toBeGreaterThan(body.length);
}

const jsonBody = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? "null");
const secretText = fc.string({ minLength: 1, maxLength: 40, unit: "grapheme-ascii" });

describe("github()", () => {
  it("accepts X-Hub-Signature-256 = sha256=hex(HMAC-SHA256(secret, raw body)) and rejects every single-byte mutation", async () => {
    const secret = "It's a Secret to Everybody";
    const body = '{"action":"opened","number":1}';
    const headers = { "x-hub-signature-256": `sha256=${hex(secret, body)}` };
    await expectMutationsFail(github({ secret }), headers, body, ["x-hub-signature-256"]);
  });

  it("matches GitHub's published test vector", async () => {
    // docs.github.com "Validating webhook deliveries": secret, payload and signature as published.
    const headers = { "x-hub-signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17" };
    expect(await verify(github({ secret: "It's a Secret to Everybody" }), headers, "Hello, World!")).toBe(true);
  });

  it("agrees with @octokit/webhooks-methods in both directions on generated vectors", async () => {
    await fc.assert(
      fc.asyncProperty(secretText, jsonBody, fc.boolean(), fc.nat(), async (secret, body, mutate, position) => {
        let signature = await octokitSign(secret, body);
        if (mutate) {
          const all = [...stringMutations(signature)];
          signature = all[position % all.length]!;
        }
        const ours = await verify(github({ secret }), { "x-hub-signature-256": signature }, body);
        const theirs = await octokitVerify(secret, body, signature);
        expect(ours).toBe(theirs);
        expect(ours).toBe(!mutate);
        // Our format, computed from the published definition, is accepted by Octokit.
        expect(await octokitVerify(secret, body, `sha256=${hex(secret, body)}`)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("accepts any of several secrets (rotation) and refuses a missing, repeated or upper-case signature", async () => {
    const body = "{}";
    const verifier = github({ secret: ["old-secret", "new-secret"] });
    expect(await verify(verifier, { "x-hub-signature-256": `sha256=${hex("old-secret", body)}` }, body)).toBe(true);
    expect(await verify(verifier, { "x-hub-signature-256": `sha256=${hex("new-secret", body)}` }, body)).toBe(true);
    expect(await verify(verifier, { "x-hub-signature-256": `sha256=${hex("other", body)}` }, body)).toBe(false);
    expect(await verify(verifier, {}, body)).toBe(false);
    expect(await verify(verifier, { "x-hub-signature-256": `sha256=${hex("new-secret", body).toUpperCase()}` }, body)).toBe(false);
    const twice = { "x-hub-signature-256": [`sha256=${hex("new-secret", body)}`, `sha256=${hex("new-secret", body)}`] };
    expect(await verifier.verify(twice, bytes(body))).toBe(false);
  });

  it("verifies over the raw bytes, including bytes that are not UTF-8", async () => {
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const headers = { "x-hub-signature-256": `sha256=${hex("s", body)}` };
    expect(await verify(github({ secret: "s" }), headers, body)).toBe(true);
  });
});

describe("stripe()", () => {
  const secret = "whsec_test_secret_for_stripe";
  const header = (t: number | string, body: string, ...extra: string[]) => [`t=${t}`, `v1=${hex(secret, `${t}.${body}`)}`, ...extra].join(",");

  it("accepts t=<unix>,v1=<hex> over `${t}.${body}` and rejects every single-byte mutation of body, signature and timestamp", async () => {
    const body = '{"id":"evt_1","type":"invoice.paid"}';
    await expectMutationsFail(stripe({ secret }), { "stripe-signature": header(nowSeconds(), body) }, body, ["stripe-signature"]);
  });

  it("agrees with the official stripe package in both directions on generated vectors", async () => {
    const official = new Stripe("sk_test_not_used").webhooks;
    await fc.assert(
      fc.asyncProperty(
        secretText.map((text) => `whsec_${text}`),
        jsonBody,
        fc.integer({ min: -250, max: 250 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (key, body, skew, mutateAt) => {
          const timestamp = nowSeconds() + skew;
          // Direction 1: the official signer's header, possibly mutated, judged by both.
          let theirs = official.generateTestHeaderString({ payload: body, secret: key, timestamp });
          if (mutateAt !== undefined) {
            const all = [...stringMutations(theirs)];
            theirs = all[mutateAt % all.length]!;
          }
          const officialAccepts = (() => {
            try {
              official.constructEvent(body, theirs, key, 300);
              return true;
            } catch {
              return false;
            }
          })();
          expect(await verify(stripe({ secret: key }), { "stripe-signature": theirs }, body)).toBe(officialAccepts);
          expect(officialAccepts).toBe(mutateAt === undefined);
          // Direction 2: our header from the published format, accepted by the official verifier.
          const ours = `t=${timestamp},v1=${hex(key, `${timestamp}.${body}`)}`;
          expect(() => official.constructEvent(body, ours, key, 300)).not.toThrow();
          expect(await verify(stripe({ secret: key }), { "stripe-signature": ours }, body)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("accepts when any one of several v1 entries matches, ignoring v0 and unknown schemes", async () => {
    const body = "{}";
    const t = nowSeconds();
    const wrong = `v1=${hex("other", `${t}.${body}`)}`;
    const value = [`t=${t}`, wrong, `v0=${"0".repeat(64)}`, `v1=${hex(secret, `${t}.${body}`)}`].join(",");
    expect(await verify(stripe({ secret }), { "stripe-signature": value }, body)).toBe(true);
    expect(await verify(stripe({ secret }), { "stripe-signature": [`t=${t}`, wrong].join(",") }, body)).toBe(false);
  });

  it("fails a missing, non-numeric, NaN, repeated or out-of-tolerance timestamp", async () => {
    const body = "{}";
    const verifier = stripe({ secret, toleranceSeconds: 300 });
    const now = nowSeconds();
    expect(await verify(verifier, { "stripe-signature": header(now - 290, body) }, body)).toBe(true);
    expect(await verify(verifier, { "stripe-signature": header(now + 290, body) }, body)).toBe(true);
    for (const t of [now - 310, now + 310, "NaN", "abc", "", "1e9", "-5", `${now}.5`, " 1"]) {
      expect(await verify(verifier, { "stripe-signature": header(t, body) }, body), `t=${t}`).toBe(false);
    }
    expect(await verify(verifier, { "stripe-signature": `v1=${hex(secret, `${now}.${body}`)}` }, body)).toBe(false);
    expect(await verify(verifier, { "stripe-signature": header(now, body, `t=${now}`) }, body)).toBe(false);
    expect(await verify(stripe({ secret, toleranceSeconds: 10 }), { "stripe-signature": header(now - 60, body) }, body)).toBe(false);
  });
});

describe("standardWebhooks()", () => {
  const key = randomBytes(24);
  const secret = `whsec_${key.toString("base64")}`;
  const signature = (id: string, ts: number | string, body: string, k: Uint8Array = key) => `v1,${b64(k, `${id}.${ts}.${body}`)}`;

  it("accepts webhook-id/-timestamp/-signature over `${id}.${ts}.${body}` and rejects every single-byte mutation", async () => {
    const body = '{"type":"user.created"}';
    const ts = nowSeconds();
    const headers = { "webhook-id": "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", "webhook-timestamp": String(ts), "webhook-signature": signature("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", ts, body) };
    await expectMutationsFail(standardWebhooks({ secret }), headers, body, ["webhook-id", "webhook-timestamp", "webhook-signature"]);
  });

  it("accepts the svix-* header names and a space-separated list where any entry matches", async () => {
    const body = "[1,2]";
    const ts = nowSeconds();
    const other = signature("msg_1", ts, body, randomBytes(24));
    const svix = { "svix-id": "msg_1", "svix-timestamp": String(ts), "svix-signature": `${other} ${signature("msg_1", ts, body)}` };
    expect(await verify(standardWebhooks({ secret }), svix, body)).toBe(true);
    expect(await verify(standardWebhooks({ secret }), { ...svix, "svix-signature": other }, body)).toBe(false);
  });

  it("agrees with the official standardwebhooks package in both directions on generated vectors", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.stringMatching(/^msg_[A-Za-z0-9]{1,30}$/),
        jsonBody,
        fc.integer({ min: -250, max: 250 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (rawKey, id, body, skew, mutateAt) => {
          const whsec = `whsec_${Buffer.from(rawKey).toString("base64")}`;
          const official = new Webhook(whsec);
          const ts = nowSeconds() + skew;
          // Direction 1: the official signer's output, possibly mutated, judged by both.
          let theirs = official.sign(id, new Date(ts * 1000), body);
          if (mutateAt !== undefined) {
            const all = [...stringMutations(theirs)];
            theirs = all[mutateAt % all.length]!;
          }
          const headers = { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": theirs };
          const officialAccepts = (() => {
            try {
              official.verify(body, headers);
              return true;
            } catch {
              return false;
            }
          })();
          expect(await verify(standardWebhooks({ secret: whsec }), headers, body)).toBe(officialAccepts);
          expect(officialAccepts).toBe(mutateAt === undefined);
          // Direction 2: our vector from the published format, accepted by the official verifier.
          const ours = { ...headers, "webhook-signature": signature(id, ts, body, rawKey) };
          expect(() => official.verify(body, ours)).not.toThrow();
          expect(await verify(standardWebhooks({ secret: rawKey }), ours, body)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("fails missing headers and missing, non-numeric, NaN or out-of-tolerance timestamps", async () => {
    const body = "{}";
    const verifier = standardWebhooks({ secret, toleranceSeconds: 300 });
    const now = nowSeconds();
    const at = (ts: number | string) => ({ "webhook-id": "m", "webhook-timestamp": String(ts), "webhook-signature": signature("m", ts, body) });
    expect(await verify(verifier, at(now - 299), body)).toBe(true);
    for (const ts of [now - 301, now + 301, "NaN", "soon", "", "1e9", `${now}.0`]) {
      expect(await verify(verifier, at(ts), body), `ts=${ts}`).toBe(false);
    }
    const { "webhook-timestamp": _dropped, ...withoutTimestamp } = at(now);
    expect(await verify(verifier, withoutTimestamp, body)).toBe(false);
    const { "webhook-id": _id, ...withoutId } = at(now);
    expect(await verify(verifier, withoutId, body)).toBe(false);
  });

  it("decodes whsec_ and bare base64 secrets, takes raw key bytes, and refuses a malformed secret without quoting it", () => {
    expect(standardWebhooks({ secret: key.toString("base64") }).phase).toBe("body");
    expect(standardWebhooks({ secret: new Uint8Array([1, 2, 3]) }).scheme).toBe("standard-webhooks");
    const secretValue = "whsec_not*base64!";
    const error = (() => {
      try {
        standardWebhooks({ secret: secretValue });
      } catch (caught) {
        return caught as HookrunConfigError;
      }
    })();
    expect(error).toBeInstanceOf(HookrunConfigError);
    expect(error!.field).toBe("standardWebhooks(options).secret");
    expect(error!.message).not.toContain("not*base64");
  });
});

describe("slack()", () => {
  const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5";

  it("accepts v0=hex over `v0:${ts}:${body}` and rejects every single-byte mutation of body, signature and timestamp", async () => {
    const body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&command=%2Fweather";
    const ts = String(nowSeconds());
    const headers = { "x-slack-request-timestamp": ts, "x-slack-signature": `v0=${hex(signingSecret, `v0:${ts}:${body}`)}` };
    await expectMutationsFail(slack({ signingSecret }), headers, body, ["x-slack-request-timestamp", "x-slack-signature"]);
  });

  it("fails a timestamp more than 5 minutes away, missing or not a number", async () => {
    const body = "{}";
    const at = (ts: number | string) => ({ "x-slack-request-timestamp": String(ts), "x-slack-signature": `v0=${hex(signingSecret, `v0:${ts}:${body}`)}` });
    const now = nowSeconds();
    expect(await verify(slack({ signingSecret }), at(now - 295), body)).toBe(true);
    for (const ts of [now - 305, now + 305, "NaN", "x", ""]) expect(await verify(slack({ signingSecret }), at(ts), body), `ts=${ts}`).toBe(false);
    expect(await verify(slack({ signingSecret }), { "x-slack-signature": at(now)["x-slack-signature"] }, body)).toBe(false);
  });
});

describe("hmac()", () => {
  it("supports other algorithms, encodings and prefixes, and insists on the canonical spelling", async () => {
    const body = '{"ok":true}';
    const sha1 = createHmac("sha1", "k").update(body).digest("base64");
    const verifier = hmac({ secret: "k", header: "X-Partner-Signature", algorithm: "sha1", encoding: "base64", prefix: "sha1=" });
    expect(await verify(verifier, { "x-partner-signature": `sha1=${sha1}` }, body)).toBe(true);
    expect(await verify(verifier, { "x-partner-signature": sha1 }, body)).toBe(false);
    expect(await verify(verifier, { "x-partner-signature": `sha1=${sha1.replace(/=+$/, "")}` }, body)).toBe(false);
    const url = hmac({ secret: "k", header: "x-sig", encoding: "base64url" });
    expect(await verify(url, { "x-sig": createHmac("sha256", "k").update(body).digest("base64url") }, body)).toBe(true);
    await expectMutationsFail(hmac({ secret: "k", header: "x-sig" }), { "x-sig": hex("k", body) }, body, ["x-sig"]);
  });

  it("builds the signed content from headers through signedContent and fails when it returns undefined", async () => {
    const verifier = hmac({
      secret: "k",
      header: "x-sig",
      signedContent: ({ headers, rawBody }) => (typeof headers["x-nonce" as never] === "string" ? [headers["x-nonce" as never] as string, ".", rawBody] : undefined),
    });
    expect(await verify(verifier, { "x-sig": hex("k", "n1.{}"), "x-nonce": "n1" }, "{}")).toBe(true);
    expect(await verify(verifier, { "x-sig": hex("k", "n1.{}") }, "{}")).toBe(false);
  });

  it("refuses bad options with a HookrunConfigError naming the field, never quoting a secret", () => {
    expect(() => hmac({ secret: "", header: "x-sig" })).toThrow(/hmac\(options\)\.secret/);
    expect(() => hmac({ secret: "k", header: "bad header" })).toThrow(/hmac\(options\)\.header/);
    expect(() => hmac({ secret: "k", header: "x", algorithm: "md5" as never })).toThrow(/algorithm/);
    expect(() => github({ secret: [] })).toThrow(/github\(options\)\.secret/);
    expect(() => stripe({ secret: "whsec_x", toleranceSeconds: -1 })).toThrow(/stripe\(options\)\.toleranceSeconds/);
    try {
      slack({ signingSecret: "super-secret-value", toleranceSeconds: Number.NaN });
    } catch (error) {
      expect((error as Error).message).not.toContain("super-secret-value");
    }
  });
});

describe("bearer() with notAfter", () => {
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  it("accepts a token until its notAfter and refuses it after, whatever form the date takes", async () => {
    const past = Date.now() - 1_000;
    const future = Date.now() + 60_000;
    const verifier = bearer([
      { token: "old-token", notAfter: new Date(past) },
      { token: "new-token", notAfter: future },
      { token: "iso-token", notAfter: new Date(future).toISOString() },
      "forever-token",
    ]);
    expect(await verifier.verify(auth("old-token"), undefined)).toBe(false);
    expect(await verifier.verify(auth("new-token"), undefined)).toBe(true);
    expect(await verifier.verify(auth("iso-token"), undefined)).toBe(true);
    expect(await verifier.verify(auth("forever-token"), undefined)).toBe(true);
    expect(await verifier.verify(auth("other-token"), undefined)).toBe(false);
  });

  it("takes sha256: digests with an expiry too", async () => {
    const digest = `sha256:${"0".repeat(64)}`;
    const real = `sha256:${createHash("sha256").update("digest-token").digest("hex")}`;
    const verifier = bearer([{ token: real, notAfter: Date.now() + 60_000 }, { token: digest, notAfter: 0 }]);
    expect(await verifier.verify(auth("digest-token"), undefined)).toBe(true);
    const expired = bearer({ token: real, notAfter: Date.now() - 1 });
    expect(await expired.verify(auth("digest-token"), undefined)).toBe(false);
  });

  it("refuses an invalid notAfter or token at creation without quoting the token", () => {
    expect(() => bearer({ token: "t0ken-value", notAfter: "not a date" })).toThrow(HookrunConfigError);
    try {
      bearer({ token: "bad token value!", notAfter: 1 });
    } catch (error) {
      expect((error as Error).message).not.toContain("bad token value");
    }
  });
});
