import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { bearer } from "@hookrun/core";
import { generateToken, tokenDigest } from "@hookrun/cli";
import { contractHooks } from "../../../../test/support/in-process";

describe("generateToken", () => {
  it("gives 32 random bytes as base64url and the sha256: digest of the token's UTF-8 bytes", () => {
    const { token, digest } = generateToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, "base64url")).toHaveLength(32);
    expect(digest).toBe(`sha256:${createHash("sha256").update(Buffer.from(token, "utf8")).digest("hex")}`);
    expect(generateToken().token).not.toBe(token);
  });

  it("takes more bytes on request and refuses fewer than 32", () => {
    expect(Buffer.from(generateToken(48).token, "base64url")).toHaveLength(48);
    expect(() => generateToken(31)).toThrow(RangeError);
    expect(() => generateToken(1.5)).toThrow(RangeError);
  });

  it("produces a digest that bearer() accepts for the token and for nothing else", async () => {
    const { token, digest } = generateToken();
    const { hooks, request } = contractHooks({ auth: bearer(digest) });
    expect((await hooks.handleInboundWebhook(request({ headers: { authorization: `Bearer ${token}` } }))).status).toBe(202);
    expect((await hooks.handleInboundWebhook(request({ headers: { authorization: `Bearer ${digest}` } }))).status).toBe(401);
    await hooks.close();
  });
});

describe("tokenDigest", () => {
  it("is lowercase hex of SHA-256 over UTF-8 for any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (token) => {
        expect(tokenDigest(token)).toBe(`sha256:${createHash("sha256").update(Buffer.from(token, "utf8")).digest("hex")}`);
      }),
    );
  });
});
