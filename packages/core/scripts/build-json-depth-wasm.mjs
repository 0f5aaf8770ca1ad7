// Writes src/body/json-depth-wasm.ts: the JSON depth scan as WebAssembly (SIMD), its bytes inlined
// as base64 so the package needs no toolchain at build or run time. Run after changing the WAT
// below: `node scripts/build-json-depth-wasm.mjs` (needs the `wabt` devDependency).
//
// The scan follows simdjson's stage 1 for 64-byte blocks: bit masks of quotes, backslashes, `{[`
// and `}]` (SIMD compares + bitmask), escaped bytes from the backslash runs (odd-length runs escape
// the next byte, carried across blocks), the in-string mask as a prefix XOR of the unescaped quotes
// (carried too), then brackets outside strings. Depth: when a block's opens cannot take the depth
// over the limit, it moves by popcount(opens) - popcount(closes); else the block's brackets are
// walked in order. A backslash outside a string (malformed JSON) answers "undecided" (2): the
// caller then runs the byte-by-byte scan, whose rule (a backslash outside a string escapes nothing)
// this scan does not follow.
import { writeFileSync } from "node:fs";
import wabtModule from "wabt";

const splat = (byte) => {
  const hex = `0x${byte.toString(16).padStart(2, "0").repeat(8)}`;
  return `(v128.const i64x2 ${hex} ${hex})`;
};
/** The 64-bit mask of the bytes of block $p for which `test(vN)` is true. */
const mask = (test) => {
  const part = (n) => `(i64.extend_i32_u (i8x16.bitmask ${test(`(local.get $v${n})`)}))`;
  return `(i64.or (i64.or ${part(0)} (i64.shl ${part(1)} (i64.const 16))) (i64.or (i64.shl ${part(2)} (i64.const 32)) (i64.shl ${part(3)} (i64.const 48))))`;
};
const eq = (byte) => (v) => `(i8x16.eq ${v} ${splat(byte)})`;
// `{` 0x7b and `[` 0x5b, `}` 0x7d and `]` 0x5d differ only by 0x20.
const eqFolded = (byte) => (v) => `(i8x16.eq (v128.or ${v} ${splat(0x20)}) ${splat(byte)})`;

const wat = `
(module
  (memory (export "memory") 2)
  (global $depth (mut i32) (i32.const 0))
  (global $inString (mut i64) (i64.const 0))
  (global $prevEscaped (mut i64) (i64.const 0))

  (func (export "reset")
    (global.set $depth (i32.const 0))
    (global.set $inString (i64.const 0))
    (global.set $prevEscaped (i64.const 0)))

  ;; Scans memory[0, len) (len a multiple of 64) after what earlier calls scanned.
  ;; 0: not deeper than max so far; 1: deeper; 2: undecided (a backslash outside a string).
  (func (export "scan") (param $len i32) (param $max i32) (result i32)
    (local $p i32) (local $depth i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $quotes i64) (local $bs i64) (local $opens i64) (local $closes i64)
    (local $escaped i64) (local $follows i64) (local $odd i64) (local $seq i64) (local $strings i64)
    (local $walk i64) (local $bit i64)
    (local.set $depth (global.get $depth))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $p) (local.get $len)))
        (local.set $v0 (v128.load offset=0 (local.get $p)))
        (local.set $v1 (v128.load offset=16 (local.get $p)))
        (local.set $v2 (v128.load offset=32 (local.get $p)))
        (local.set $v3 (v128.load offset=48 (local.get $p)))
        (local.set $quotes ${mask(eq(0x22))})
        (local.set $bs ${mask(eq(0x5c))})
        (local.set $opens ${mask(eqFolded(0x7b))})
        (local.set $closes ${mask(eqFolded(0x7d))})
        ;; Escaped bytes (simdjson's find_escaped_branchless); nothing to do without backslashes.
        (if (i64.eqz (i64.or (local.get $bs) (global.get $prevEscaped)))
          (then (local.set $escaped (i64.const 0)))
          (else
            (local.set $bs (i64.and (local.get $bs) (i64.xor (global.get $prevEscaped) (i64.const -1))))
            (local.set $follows (i64.or (i64.shl (local.get $bs) (i64.const 1)) (global.get $prevEscaped)))
            (local.set $odd (i64.and (local.get $bs)
              (i64.and (i64.const 0xAAAAAAAAAAAAAAAA) (i64.xor (local.get $follows) (i64.const -1)))))
            (local.set $seq (i64.add (local.get $odd) (local.get $bs)))
            (global.set $prevEscaped (i64.extend_i32_u (i64.lt_u (local.get $seq) (local.get $odd))))
            (local.set $escaped (i64.and
              (i64.xor (i64.const 0x5555555555555555) (i64.shl (local.get $seq) (i64.const 1)))
              (local.get $follows)))))
        (local.set $quotes (i64.and (local.get $quotes) (i64.xor (local.get $escaped) (i64.const -1))))
        ;; In-string bytes: opening quote and content (prefix XOR of the quotes), carried across blocks.
        (local.set $strings (local.get $quotes))
        (local.set $strings (i64.xor (local.get $strings) (i64.shl (local.get $strings) (i64.const 1))))
        (local.set $strings (i64.xor (local.get $strings) (i64.shl (local.get $strings) (i64.const 2))))
        (local.set $strings (i64.xor (local.get $strings) (i64.shl (local.get $strings) (i64.const 4))))
        (local.set $strings (i64.xor (local.get $strings) (i64.shl (local.get $strings) (i64.const 8))))
        (local.set $strings (i64.xor (local.get $strings) (i64.shl (local.get $strings) (i64.const 16))))
        (local.set $strings (i64.xor (local.get $strings) (i64.shl (local.get $strings) (i64.const 32))))
        (local.set $strings (i64.xor (local.get $strings) (global.get $inString)))
        (global.set $inString (i64.shr_s (local.get $strings) (i64.const 63)))
        ;; A backslash outside a string: malformed, and escapes nothing there; let the caller decide.
        (if (i64.ne (i64.const 0) (i64.and (local.get $bs) (i64.xor (local.get $strings) (i64.const -1))))
          (then (global.set $depth (local.get $depth)) (return (i32.const 2))))
        (local.set $opens (i64.and (local.get $opens) (i64.xor (local.get $strings) (i64.const -1))))
        (local.set $closes (i64.and (local.get $closes) (i64.xor (local.get $strings) (i64.const -1))))
        (if (i32.gt_s (i32.add (local.get $depth) (i32.wrap_i64 (i64.popcnt (local.get $opens)))) (local.get $max))
          (then
            ;; This block may go too deep: its brackets in order.
            (local.set $walk (i64.or (local.get $opens) (local.get $closes)))
            (block $walked
              (loop $brackets
                (br_if $walked (i64.eqz (local.get $walk)))
                (local.set $bit (i64.and (local.get $walk) (i64.sub (i64.const 0) (local.get $walk))))
                (if (i64.eqz (i64.and (local.get $opens) (local.get $bit)))
                  (then (local.set $depth (i32.sub (local.get $depth) (i32.const 1))))
                  (else
                    (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
                    (if (i32.gt_s (local.get $depth) (local.get $max))
                      (then (global.set $depth (local.get $depth)) (return (i32.const 1))))))
                (local.set $walk (i64.xor (local.get $walk) (local.get $bit)))
                (br $brackets))))
          (else
            (local.set $depth (i32.sub
              (i32.add (local.get $depth) (i32.wrap_i64 (i64.popcnt (local.get $opens))))
              (i32.wrap_i64 (i64.popcnt (local.get $closes)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 64)))
        (br $blocks)))
    (global.set $depth (local.get $depth))
    (i32.const 0)))
`;

const wabt = await wabtModule();
const parsed = wabt.parseWat("json-depth.wat", wat, { simd: true });
parsed.validate();
const { buffer } = parsed.toBinary({});
const base64 = Buffer.from(buffer).toString("base64");
const out = new URL("../src/body/json-depth-wasm.ts", import.meta.url);
writeFileSync(
  out,
  `// Generated by scripts/build-json-depth-wasm.mjs (the WAT source is there); do not edit.
/** The JSON depth scan as WebAssembly with SIMD (${buffer.length} bytes), base64. */
export const JSON_DEPTH_WASM = "${base64}";
`,
);
console.log(`wrote ${out.pathname}: ${buffer.length} bytes of wasm`);
