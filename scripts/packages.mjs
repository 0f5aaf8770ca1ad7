// Finds the workspace's publishable packages and packs them as npm would publish them (pnpm pack
// rewrites `workspace:*` to real versions), for the package-quality lint and the consumer test.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PNPM_VERSION = "12.4.2";

/** Every `packages/*` whose package.json is not `"private": true`, sorted by folder. */
export function publicPackages() {
  const dir = join(ROOT, "packages");
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({ dir: join(dir, entry.name), manifest: readManifest(join(dir, entry.name)) }))
    .filter(({ manifest }) => manifest && !manifest.private)
    .map(({ dir, manifest }) => ({ name: manifest.name, version: manifest.version, dir }))
    .sort((a, b) => a.dir.localeCompare(b.dir));
}

function readManifest(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  } catch {
    return undefined;
  }
}

/** The pinned pnpm: the one running this script, one on PATH at the right version, else npx (as scripts/pnpm.sh). */
export function pnpmCommand() {
  const execPath = process.env.npm_execpath;
  if (execPath && /pnpm/.test(basename(execPath)) && process.env.npm_config_user_agent?.startsWith(`pnpm/${PNPM_VERSION}`)) {
    // pnpm 12 ships a native binary; older ones a .cjs entry run by node.
    return /\.[cm]?js$/.test(execPath) ? [process.execPath, execPath] : [execPath];
  }
  try {
    if (execFileSync("pnpm", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() === PNPM_VERSION) return ["pnpm"];
  } catch {
    // not on PATH
  }
  return ["npx", "-y", `pnpm@${PNPM_VERSION}`];
}

/**
 * Packs each package (built `dist/` must exist) into `destination`; returns `{ name, dir, tarball }`.
 * Fails with the package name when a package has not been built.
 */
export function packPackages(destination, packages = publicPackages()) {
  const [command, ...prefix] = pnpmCommand();
  return packages.map((pkg) => {
    const before = new Set(readdirSync(destination));
    try {
      execFileSync(command, [...prefix, "pack", "--pack-destination", destination], { cwd: pkg.dir, stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      throw new Error(`pnpm pack failed in ${pkg.dir}: ${error.stderr?.toString() || error.message}`);
    }
    const tarball = readdirSync(destination).find((file) => file.endsWith(".tgz") && !before.has(file));
    if (!tarball) throw new Error(`pnpm pack wrote no tarball for ${pkg.name}`);
    return { ...pkg, tarball: join(destination, tarball) };
  });
}
