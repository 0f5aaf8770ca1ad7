import { afterEach, describe, expect, it, vi } from "vitest";
import { HookrunConfigError, memoryEffectStore } from "@hookrun/core";

describe("memoryEffectStore", () => {
  afterEach(() => vi.useRealTimers());

  it("claims a key once: new, then started until completed, then completed with the result as JSON", async () => {
    const store = memoryEffectStore();
    expect(await store.begin("k")).toEqual({ state: "new" });
    expect(await store.begin("k")).toEqual({ state: "started" });
    await store.complete("k", { id: 1, at: new Date("2026-01-01T00:00:00Z"), gone: undefined });
    expect(await store.begin("k")).toEqual({ state: "completed", result: { id: 1, at: "2026-01-01T00:00:00.000Z" } });
    await store.complete("void", undefined);
    expect(await store.begin("void")).toEqual({ state: "completed", result: null });
    expect(await store.begin("other")).toEqual({ state: "new" });
  });

  it("forgets entries after ttlMs, and the oldest beyond maxEntries", async () => {
    vi.useFakeTimers();
    const store = memoryEffectStore({ ttlMs: 1_000, maxEntries: 2 });
    await store.begin("a");
    vi.advanceTimersByTime(600);
    await store.complete("b", 1);
    vi.advanceTimersByTime(600);
    expect(await store.begin("a")).toEqual({ state: "new" }); // expired, claimed again
    expect(await store.begin("b")).toEqual({ state: "completed", result: 1 });
    await store.begin("c"); // a third entry: the oldest ("b") goes
    expect(await store.begin("b")).toEqual({ state: "new" });
  });

  it("refuses bad options naming the field", () => {
    expect(() => memoryEffectStore({ ttlMs: 0 })).toThrow(HookrunConfigError);
    expect(() => memoryEffectStore({ maxEntries: -1 })).toThrow(/memoryEffectStore\.maxEntries/);
  });
});
