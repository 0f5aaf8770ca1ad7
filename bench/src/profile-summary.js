// Summarises V8 .cpuprofile files (from `pnpm bench -- --cpu-prof`): self time by function and by
// where the code lives. Usage: node src/profile-summary.js profiles/<file>.cpuprofile [top]
import { readFileSync } from "node:fs";

const [file, topArg] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, "utf8"));
const top = Number(topArg ?? 25);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map();
// timeDeltas[i] is the time before samples[i]; attribute it to that sample's node.
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
// Percentages are of busy time: a server's profile spans the whole bench, idle while others run.
const isIdle = (id) => byId.get(id).callFrame.functionName === "(idle)";
const total = [...self].reduce((sum, [id, time]) => (isIdle(id) ? sum : sum + time), 0);
for (const id of [...self.keys()]) if (isIdle(id)) self.delete(id);
console.log(`busy ${(total / 1e6).toFixed(2)} s of ${((profile.endTime - profile.startTime) / 1e6).toFixed(2)} s profiled`);

const where = (url) => {
  if (!url) return "(native / V8)";
  if (url.includes("/packages/core/")) return "@hookrun/core";
  if (url.includes("/packages/")) return "hookrun adapters";
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith("node:")) return url.split("/")[0].replace(/^node:internal$/, "node:internal");
  return url.replace(/^file:\/\/.*\/bench\//, "bench/");
};
const byFunction = new Map();
const byPlace = new Map();
for (const [id, time] of self) {
  const { callFrame } = byId.get(id);
  const key = `${callFrame.functionName || "(anonymous)"} ${where(callFrame.url)}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ""}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + time);
  const place = where(callFrame.url);
  byPlace.set(place, (byPlace.get(place) ?? 0) + time);
}
const show = (title, map, n) => {
  console.log(`\n${title}`);
  for (const [key, time] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`${((100 * time) / total).toFixed(1).padStart(5)}%  ${key}`);
  }
};
show("self time by place", byPlace, 12);
show("self time by function", byFunction, top);

// Inclusive time of every function (self + callees), counted once per stack even when recursive.
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const inclusive = new Map();
for (const [id, time] of self) {
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const { callFrame } = byId.get(at);
    const key = `${callFrame.functionName || "(anonymous)"} ${where(callFrame.url)}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + time);
  }
}
inclusive.delete("(root) (native / V8)");
show("inclusive time by function", inclusive, top);
