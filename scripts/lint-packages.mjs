// `pnpm lint:packages`: publint and Are The Types Wrong on the tarball of every publishable package
// (packages/* not marked private), exactly as npm would receive it. Needs the build and the
// installed devDependencies only; no registry access.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packPackages, ROOT } from "./packages.mjs";

const bin = (name) => join(ROOT, "node_modules", ".bin", name);
const destination = mkdtempSync(join(tmpdir(), "hookrun-lint-"));
const failures = [];
try {
  for (const pkg of packPackages(destination)) {
    console.log(`\n=== ${pkg.name}`);
    for (const [tool, args] of [
      ["publint", ["run", pkg.tarball, "--strict"]],
      ["attw", [pkg.tarball, "--format", "table-flipped", "--no-emoji", "--no-color"]],
    ]) {
      const result = spawnSync(bin(tool), args, { cwd: pkg.dir, stdio: "inherit" });
      if (result.status !== 0) failures.push(`${pkg.name}: ${tool}`);
    }
  }
} finally {
  rmSync(destination, { recursive: true, force: true });
}
console.log(failures.length === 0 ? "\nlint:packages: every package passed publint and attw" : `\nlint:packages failed:\n  ${failures.join("\n  ")}`);
process.exitCode = failures.length === 0 ? 0 : 1;
