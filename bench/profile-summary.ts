/**
 * Summarises a V8 .cpuprofile (from `BENCH_CPU_PROF=1`, written to dist-bench/profiles/): self time by
 * function and by file/package, and inclusive time of the frames that matter for a request.
 * Usage: node dist-bench/bench/profile-summary.js <file.cpuprofile> [top]
 */
import fs from "node:fs";

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const file = process.argv[2];
const top = Number(process.argv[3] ?? 25);
const p = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const where = (n: Node) => {
  const u = n.callFrame.url.replace(/^file:\/\//, "");
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (m) return m[1];
  if (u.includes("/dist-bench/")) return u.split("/dist-bench/")[1];
  return u ? u.replace(/^node:/, "node:") : "(native/vm)";
};
const label = (n: Node) => `${n.callFrame.functionName || "(anonymous)"} ${where(n)}:${n.callFrame.lineNumber + 1}`;

const selfBy = (key: (n: Node) => string) => {
  const m = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    m.set(key(n), (m.get(key(n)) ?? 0) + t);
  }
  return [...m.entries()].sort((a, b) => b[1] - a[1]);
};

// Inclusive time: a node's self time plus its subtree; summed per label, counting each label once per stack.
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map<string, number>();
for (const [id, t] of self) {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur)!);
    if (!seen.has(l)) {
      seen.add(l);
      inclusive.set(l, (inclusive.get(l) ?? 0) + t);
    }
  }
}

const pct = (t: number) => `${((100 * t) / total).toFixed(1).padStart(5)}%`;
const out: string[] = [`profile ${file}: ${total.toFixed(0)} ms sampled`];
out.push("\nself time by package / file:");
for (const [k, t] of selfBy(where).slice(0, top)) out.push(`${pct(t)}  ${k}`);
out.push("\nself time by function:");
for (const [k, t] of selfBy(label).slice(0, top)) out.push(`${pct(t)}  ${k}`);
out.push("\ninclusive time by function:");
for (const [k, t] of [...inclusive.entries()].sort((a, b) => b[1] - a[1]).slice(0, top * 2)) out.push(`${pct(t)}  ${k}`);
process.stdout.write(out.join("\n") + "\n");
