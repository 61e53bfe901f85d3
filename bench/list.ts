/**
 * Benchmark 9: the rotation list at 10,000 rotations, as a console at scale asks for it — the first page (limit 50),
 * then refreshes with nothing changed (If-None-Match → 304) — against the full list (today's console: every refresh
 * downloads everything) in the same run. Bytes on the wire are counted on the socket (status line, headers and body),
 * runner CPU from /proc of the runner's process (a child, so the client's own work is not counted).
 */
import http from "node:http";
import { insertRotations } from "../test/helpers/bulk-rotations";
import { CLI, clusterCpuMs, connectedStore, type Env, log, ms, passIf, percentile, processCpuMs, record, ROTATIONS, runnerEnv, sleep, spawnListening } from "./lib";

const COUNT = 10_000;
const PROJECT = "list";
const BENCH = "9 list";

interface Wire {
  status: number;
  /** Response bytes read from the socket: status line, headers and body as sent (compressed or not). */
  bytes: number;
  ms: number;
  etag?: string;
  body: Buffer;
}

/** One GET on a kept-alive socket of `agent`, counting what the socket read for it. */
function get(agent: http.Agent, url: string, headers: Record<string, string>): Promise<Wire> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent, headers }, (res) => {
      const socket = res.socket;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, bytes: socket.bytesRead - before, ms: performance.now() - t0, etag: res.headers.etag, body: Buffer.concat(chunks) }),
      );
      res.on("error", reject);
    });
    let before = 0;
    req.on("socket", (s) => (before = s.bytesRead));
    req.on("error", reject);
  });
}

interface Measured {
  medianMs: number;
  bytes: number;
  runnerCpuMs: number;
  storeCpuMs: number;
}

/** `runs` calls after `warm` unmeasured ones: median latency, bytes of the last answer, runner and store CPU per call. */
async function measure(env: Env, pid: number, call: () => Promise<Wire>, o: { runs: number; warm: number; status: number }): Promise<Measured> {
  for (let i = 0; i < o.warm; i++) await call();
  const times: number[] = [];
  let last: Wire | undefined;
  const c0 = processCpuMs(pid);
  const s0 = clusterCpuMs(env.store);
  for (let i = 0; i < o.runs; i++) {
    last = await call();
    if (last.status !== o.status) throw new Error(`expected ${o.status}, got ${last.status}: ${last.body.toString().slice(0, 200)}`);
    times.push(last.ms);
  }
  return {
    medianMs: percentile(times, 50),
    bytes: last!.bytes,
    runnerCpuMs: (processCpuMs(pid) - c0) / o.runs,
    storeCpuMs: (clusterCpuMs(env.store) - s0) / o.runs,
  };
}

const kb = (n: number) => (n >= 10_240 ? `${(n / 1024).toFixed(0)} KB` : `${(n / 1024).toFixed(2)} KB`);

export async function benchList(env: Env): Promise<void> {
  log("== 9. list");
  const { storeUrl, db, sealer, connectionId } = await connectedStore(env, "bench_list", "list-target");
  try {
    await insertRotations(db, sealer, { connectionId, from: 0, to: COUNT, project: PROJECT });
    await db.query("VACUUM ANALYZE rotations");
  } finally {
    await db.end();
  }
  const r = await spawnListening(env, CLI, runnerEnv(env, storeUrl), ["serve"]);
  env.cleanups.push(() => r.stop());
  for (const until = performance.now() + 30_000; performance.now() < until; await sleep(20)) {
    if ((await fetch(`${r.url}/readyz`).catch(() => undefined))?.status === 200) break;
  }
  const pid = r.child.pid!;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  env.cleanups.push(async () => agent.destroy());
  const auth = { authorization: `Bearer ${env.adminToken}` };
  const browser = { ...auth, "accept-encoding": "gzip, deflate, br, zstd" }; // what Chromium sends
  const at = (q: string) => `${r.url}${ROTATIONS}?projectId=${PROJECT}${q}`;

  // Baseline: the full list, as today's console asks for it on every refresh.
  const full = await measure(env, pid, () => get(agent, at(""), { ...auth, "accept-encoding": "identity" }), { runs: 10, warm: 2, status: 200 });
  const fullBr = await measure(env, pid, () => get(agent, at(""), browser), { runs: 10, warm: 1, status: 200 });
  const fullBody = await get(agent, at(""), browser);
  const fullRefresh = await measure(env, pid, () => get(agent, at(""), { ...browser, "if-none-match": fullBody.etag! }), { runs: 10, warm: 1, status: 304 });
  // The console at scale: the first page, then refreshes that change nothing.
  const pageQ = "&limit=50&sort=name";
  const page = await measure(env, pid, () => get(agent, at(pageQ), browser), { runs: 50, warm: 5, status: 200 });
  const first = await get(agent, at(pageQ), browser);
  const plainPage = JSON.parse((await get(agent, at(pageQ), { ...auth, "accept-encoding": "identity" })).body.toString()) as { secretRotations: unknown[]; totalCount: number };
  if (plainPage.totalCount !== COUNT || plainPage.secretRotations.length !== 50) throw new Error(`the first page holds ${plainPage.secretRotations.length} of ${plainPage.totalCount}`);
  const refresh = await measure(env, pid, () => get(agent, at(pageQ), { ...browser, "if-none-match": first.etag! }), { runs: 200, warm: 10, status: 304 });
  const filtered = await measure(env, pid, () => get(agent, at("&limit=50&search=list-99&status=success&sort=-nextRotationAt"), browser), { runs: 50, warm: 5, status: 200 });

  const cpu = (m: Measured) => `runner ${m.runnerCpuMs.toFixed(2)} ms + store ${m.storeCpuMs.toFixed(2)} ms CPU`;
  const row = (figure: string, m: Measured, extra: Partial<Parameters<typeof record>[0]> = {}) =>
    record({ bench: BENCH, figure, value: `${ms(m.medianMs)}, ${kb(m.bytes)}, ${cpu(m)}`, floor: "", ratio: "", target: "", pass: "info", ...extra });
  row(`full list, ${COUNT.toLocaleString("en")} rotations, uncompressed (baseline; median of 10)`, full);
  row(`full list, brotli (median of 10)`, fullBr, { floor: kb(full.bytes), ratio: (full.bytes / fullBr.bytes).toFixed(1) });
  row(`full list refresh, If-None-Match → 304 (median of 10)`, fullRefresh, { floor: ms(full.medianMs), ratio: (full.medianMs / fullRefresh.medianMs).toFixed(1) });
  row(`first page (limit 50, sort=name), brotli, with totalCount (median of 50)`, page, { floor: ms(full.medianMs), ratio: (full.medianMs / page.medianMs).toFixed(1) });
  row(`first page, filtered (search + status, sort=-nextRotationAt), brotli (median of 50)`, filtered);
  record({
    bench: BENCH,
    figure: "page refresh with nothing changed (If-None-Match → 304): bytes on the wire",
    value: `${refresh.bytes} B`,
    floor: kb(full.bytes),
    ratio: (full.bytes / refresh.bytes).toFixed(0),
    target: "≤ 2 KB",
    pass: passIf(refresh.bytes <= 2048),
  });
  row(`page refresh with nothing changed: latency and CPU per refresh (median of 200)`, refresh, {
    floor: `${full.runnerCpuMs.toFixed(1)} ms CPU`,
    ratio: (full.runnerCpuMs / Math.max(refresh.runnerCpuMs, 0.01)).toFixed(0),
  });
}
