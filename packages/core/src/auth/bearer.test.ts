import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bearer, HookrunConfigError } from "@hookrun/core";
import { contractHooks } from "../../../../test/support/in-process";

const digest = (token: string) => `sha256:${createHash("sha256").update(token).digest("hex")}`;

async function status(auth: ReturnType<typeof bearer>, authorization: string | string[] | undefined): Promise<number> {
  const { hooks, request } = contractHooks({ auth });
  const response = await hooks.handleInboundWebhook(request({ headers: authorization === undefined ? {} : { authorization } }));
  await hooks.close();
  return response.status;
}

describe("bearer()", () => {
  it("accepts the configured token and nothing else", async () => {
    const auth = bearer("s3cret-token");
    expect(await status(auth, "Bearer s3cret-token")).toBe(202);
    expect(await status(auth, "Bearer s3cret-tokem")).toBe(401);
    expect(await status(auth, "Bearer s3cret-token-and-more")).toBe(401);
    expect(await status(auth, "Bearer s3cret")).toBe(401);
  });

  it("accepts a sha256:<hex> digest entry, so the plain token need not be stored", async () => {
    expect(await status(bearer(digest("stored-as-digest")), "Bearer stored-as-digest")).toBe(202);
    expect(await status(bearer(digest("stored-as-digest").toUpperCase().replace("SHA256:", "sha256:")), "Bearer stored-as-digest")).toBe(202);
    expect(await status(bearer(digest("stored-as-digest")), `Bearer ${digest("stored-as-digest")}`)).toBe(401);
  });

  it("accepts any of several entries, for rotation", async () => {
    const auth = bearer(["old-token", digest("new-token")]);
    expect(await status(auth, "Bearer old-token")).toBe(202);
    expect(await status(auth, "Bearer new-token")).toBe(202);
    expect(await status(auth, "Bearer other-token")).toBe(401);
  });

  it.each([
    ["no header", undefined],
    ["empty", ""],
    ["scheme only", "Bearer"],
    ["scheme and space", "Bearer "],
    ["no space", "Bearers3cret"],
    ["other scheme", "Token s3cret"],
    ["two tokens", "Bearer s3cret s3cret"],
    ["token with a comma", "Bearer s3cret,"],
    ["tab separator", "Bearer\ts3cret"],
    ["two Authorization headers", ["Bearer s3cret", "Bearer s3cret"]],
  ])("refuses %s", async (_label, authorization) => {
    expect(await status(bearer("s3cret"), authorization)).toBe(401);
  });

  it("accepts the scheme in any case and extra spaces around the token", async () => {
    expect(await status(bearer("s3cret"), "BEARER   s3cret  ")).toBe(202);
  });

  it("reads Fetch Headers too", async () => {
    const { hooks, request } = contractHooks({ auth: bearer("s3cret") });
    const response = await hooks.handleInboundWebhook(request({ headers: new Headers({ Authorization: "Bearer s3cret" }) }));
    expect(response.status).toBe(202);
  });

  it.each([
    ["an empty token", ""],
    ["an empty list", []],
    ["a token with a space", "two words"],
    ["a short digest", "sha256:abcd"],
    ["a non-hex digest", `sha256:${"z".repeat(64)}`],
  ])("refuses %s at creation without echoing it", (_label, tokens) => {
    let thrown: unknown;
    try {
      bearer(tokens as string);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HookrunConfigError);
    if (typeof tokens === "string" && tokens.length > 0) expect((thrown as Error).message).not.toContain(tokens);
  });

  it("reads the Authorization value exactly as RFC 6750's grammar says, for any value", () => {
    // The grammar, as a regular expression: the reference the hand-written parser is held to.
    const grammar = /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
    // Values made of the grammar's own pieces (and a few that break it) hit its edges often.
    const piece = fc.constantFrom("Bearer", "bEaReR", "bearer", "Basic", " ", "  ", "\t", "=", "==", "t0k", "t0k=", "t0ken", "-._~+/", ",", "é", "\u0100", "");
    const value = fc.oneof(fc.array(piece, { maxLength: 6 }).map((parts) => parts.join("")), fc.string({ maxLength: 20 }));
    fc.assert(
      fc.property(value, fc.constantFrom("t0k", "t0k=", "t0ken", "-._~+/", "t0k=="), (authorization, token) => {
        const match = grammar.exec(authorization);
        expect(bearer(token).verify({ authorization }, undefined)).toBe(match !== null && match[1] === token);
      }),
      { numRuns: 3_000 },
    );
  });
});
