import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runHookrun } from "./run-cli";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

describe("hookrun (process)", () => {
  it("--version prints the package version", async () => {
    expect(await runHookrun(["--version"])).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("--help lists the three commands on stdout and exits 0", async () => {
    const run = await runHookrun(["--help"]);
    expect(run.code).toBe(0);
    for (const command of ["token [options]", "send [options] <url>", "verify [options] <config-module>"]) expect(run.stdout).toContain(command);
  });

  it.each([
    [[], /^Usage: hookrun \[options\] \[command\]/],
    [["deploy"], /unknown command 'deploy'/],
    [["token", "--bytes", "16"], /^hookrun: a token needs between 32 and 1024 random bytes\n$/],
    [["token", "--bytes", "lots"], /option '--bytes <n>' argument 'lots' is invalid. expected a whole number/],
  ])("exits 2 with a message on stderr for %j", async (args, message) => {
    const run = await runHookrun(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(message);
  });
});
