import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bodyOf, contractHooks } from "../../../../test/support/in-process";

const DEPTH_DETAIL = (maxDepth: number) => `The JSON body is nested more than ${maxDepth} levels deep (objects and arrays within each other).`;

/**
 * The rule, byte by byte, as simply as it can be written: outside strings `{`/`[` open and `}`/`]`
 * close; a quote starts or ends a string; inside one, a backslash escapes the next byte. The
 * optimized scan (native jumps over long strings) must agree with it on every input, malformed
 * included, since the detail of the refusal tells which check refused.
 */
function referenceTooDeep(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === "\\") index++;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === "{" || char === "[") {
      if (++depth > maxDepth) return true;
    } else if (char === "}" || char === "]") {
      depth--;
    }
  }
  return false;
}

/** Depth-refused or not, through the pipeline; a filter that starts nothing keeps the runner out of it. */
async function refusedForDepth(text: string, maxDepth: number): Promise<boolean> {
  const { hooks, request } = contractHooks({ filter: () => false }, { maxDepth });
  const response = await hooks.handleInboundWebhook(request({ body: text }));
  const tooDeep = response.status === 400 && bodyOf<{ detail: string }>(response).detail === DEPTH_DETAIL(maxDepth);
  if (!tooDeep) expect([200, 400]).toContain(response.status);
  return tooDeep;
}

// Mostly the bytes that matter to the scan, with runs long enough to take the native path.
const token = fc.oneof(
  fc.constantFrom("{", "}", "[", "]", '"', "\\", '\\"', "\\\\", ":", ",", "1", " "),
  fc.string({ unit: fc.constantFrom("x", "[", "{", "]", "}", "\\", '"'), minLength: 0, maxLength: 4 }),
  fc.integer({ min: 1, max: 80 }).map((n) => "x".repeat(n)),
);
const text = fc.array(token, { maxLength: 60 }).map((tokens) => tokens.join(""));

describe("JSON depth scan", () => {
  it("agrees with the byte-by-byte rule on arbitrary (often malformed) bodies", async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.integer({ min: 1, max: 6 }), async (body, maxDepth) => {
        expect(await refusedForDepth(body, maxDepth)).toBe(referenceTooDeep(body, maxDepth));
      }),
      { numRuns: 3_000 },
    );
  });

  it("agrees with the depth of the parsed value on valid JSON with long strings full of brackets and escapes", async () => {
    const longString = fc.string({ unit: fc.constantFrom("a", "[", "{", "]", "}", "\\", '"', "é"), minLength: 0, maxLength: 60 });
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small" }, longString, fc.integer(), fc.array(tie("node"), { maxLength: 3 }), fc.dictionary(longString, tie("node"), { maxKeys: 3 })),
    })).node;
    const depthOf = (v: unknown): number =>
      typeof v === "object" && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depthOf)) : 0;
    await fc.assert(
      fc.asyncProperty(value, fc.integer({ min: 1, max: 5 }), async (v, maxDepth) => {
        expect(await refusedForDepth(JSON.stringify(v), maxDepth)).toBe(depthOf(v) > maxDepth);
      }),
      { numRuns: 1_000 },
    );
  });

  it("finds the end of a long string with escaped quotes and backslashes near its end", async () => {
    const inside = `${"x".repeat(40)}\\\\\\"[[[${"y".repeat(30)}\\\\`;
    const body = `{"a":"${inside}","b":[[1]]}`;
    expect(JSON.parse(body).a).toContain('"[[[');
    expect(await refusedForDepth(body, 2)).toBe(true);
    expect(await refusedForDepth(body, 3)).toBe(false);
  });

  it("agrees with the byte-by-byte rule on long bodies, across 64-byte blocks and 64 KiB windows", async () => {
    // Long runs (strings, escapes, bracket runs) that straddle the SIMD scan's block boundaries.
    const longToken = fc.oneof(
      token,
      fc.integer({ min: 1, max: 200 }).map((n) => "\\".repeat(n)),
      fc.integer({ min: 1, max: 70 }).map((n) => "[".repeat(n)),
      fc.integer({ min: 1, max: 70 }).map((n) => "]".repeat(n)),
      fc.integer({ min: 60, max: 300 }).map((n) => `"${"y".repeat(n)}"`),
    );
    const longText = fc.array(longToken, { minLength: 20, maxLength: 400 }).map((tokens) => tokens.join(""));
    await fc.assert(
      fc.asyncProperty(longText, fc.integer({ min: 1, max: 80 }), async (body, maxDepth) => {
        expect(await refusedForDepth(body, maxDepth)).toBe(referenceTooDeep(body, maxDepth));
      }),
      { numRuns: 400 },
    );
  });

  it("carries strings, escapes and depth across the 64 KiB windows of a large body", async () => {
    const window = 64 * 1024;
    // A string that opens before the window boundary and holds brackets after it.
    const stringAcross = `{"a":"${"x".repeat(window - 10)}${"[".repeat(50)}","b":[[1]]}`;
    expect(await refusedForDepth(stringAcross, 3)).toBe(false);
    expect(await refusedForDepth(stringAcross, 2)).toBe(true);
    // An escaped quote whose backslash ends one window and whose quote starts the next.
    const prefix = `{"a":"${"x".repeat(window - 7)}`;
    expect(prefix.length).toBe(window - 1);
    const escapeAcross = `${prefix}\\"[[[[","b":1}`;
    expect(JSON.parse(escapeAcross).a.endsWith('"[[[[')).toBe(true);
    expect(await refusedForDepth(escapeAcross, 1)).toBe(false);
    // Depth built up in one window and exceeded in the next.
    const deepAcross = `${"[".repeat(40)}${" ".repeat(window)}${"[".repeat(10)}${"]".repeat(50)}`;
    expect(await refusedForDepth(deepAcross, 49)).toBe(true);
    expect(await refusedForDepth(deepAcross, 50)).toBe(false);
  });
});
