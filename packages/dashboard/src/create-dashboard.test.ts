import { describe, expect, it } from "vitest";
import { HookrunConfigError } from "@hookrun/core";
import { createDashboard } from "@hookrun/dashboard";
import { liveHooks } from "../test/support/live-hooks";

const hooks = () => liveHooks().hooks;

function configError(run: () => unknown): HookrunConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(HookrunConfigError);
    return error as HookrunConfigError;
  }
  throw new Error("expected a HookrunConfigError");
}

describe("createDashboard options", () => {
  it("requires authorize unless insecure: true is passed explicitly", async () => {
    expect(configError(() => createDashboard(hooks(), {})).field).toBe("options.authorize");
    expect(configError(() => createDashboard(hooks(), { insecure: false })).field).toBe("options.authorize");
    const open = createDashboard(hooks(), { insecure: true });
    expect(await (await open(new Request("http://localhost/hookrun/api/session"))).json()).toEqual({ role: "operator" });
  });

  it("names the bad option and never repeats a token", () => {
    expect(configError(() => createDashboard(hooks(), { authorize: "yes" as never })).field).toBe("options.authorize");
    const bad = configError(() => createDashboard(hooks(), { authorize: { operator: "not a valid token!" } }));
    expect(bad.field).toBe("options.authorize.operator");
    expect(bad.message).not.toContain("not a valid token!");
    expect(configError(() => createDashboard(hooks(), { insecure: true, basePath: "hookrun" })).field).toBe("options.basePath");
    expect(configError(() => createDashboard(hooks(), { insecure: true, pollIntervalMs: 10 })).field).toBe("options.pollIntervalMs");
    expect(configError(() => createDashboard({} as never, { insecure: true })).field).toBe("hooks");
  });

  it("normalizes the base path and leaves the caller's options untouched", async () => {
    const options = Object.freeze({ insecure: true, basePath: "/ops/runs/" });
    const dashboard = createDashboard(hooks(), options);
    expect(dashboard.basePath).toBe("/ops/runs");
    expect(options.basePath).toBe("/ops/runs/");
    expect((await dashboard(new Request("http://localhost/ops/runs"))).status).toBe(200);
    expect((await dashboard(new Request("http://localhost/hookrun/"))).status).toBe(404);
    const root = createDashboard(hooks(), { insecure: true, basePath: "/" });
    expect(root.basePath).toBe("");
    expect(await (await root(new Request("http://localhost/"))).text()).toContain('src="assets/app.js');
  });

  it("asks an authorize function with the Fetch Request, and answers 500 (and keeps serving) when it throws", async () => {
    const seen: string[] = [];
    let fail = true;
    const dashboard = createDashboard(hooks(), {
      authorize: (request) => {
        seen.push(request.headers.get("cookie") ?? "");
        if (fail) throw new Error("session store down");
        return request.headers.get("cookie") === "session=ops" ? "operator" : false;
      },
    });
    const stderr = process.stderr.write;
    process.stderr.write = () => true;
    try {
      const failed = await dashboard(new Request("http://localhost/hookrun/api/session", { headers: { cookie: "session=ops" } }));
      expect(failed.status).toBe(500);
      expect(((await failed.json()) as { code: string }).code).toBe("internal_error");
    } finally {
      process.stderr.write = stderr;
    }
    fail = false;
    const ok = await dashboard(new Request("http://localhost/hookrun/api/session", { headers: { cookie: "session=ops" } }));
    expect(await ok.json()).toEqual({ role: "operator" });
    const refused = await dashboard(new Request("http://localhost/hookrun/api/session"));
    expect(refused.status).toBe(401);
    // A function-based login is the app's: no Basic prompt.
    expect(refused.headers.get("www-authenticate")).toBeNull();
    expect(seen).toEqual(["session=ops", "session=ops", ""]);
  });
});
