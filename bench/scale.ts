/**
 * Benchmark 5: 1k → 10k → 100k → 1M configured rotations (not due), inserted straight into the store with values
 * sealed by the runner's own Sealer (so every row opens). At each size a runner child process is started:
 * start → /readyz, scheduler tick duration (the runner's own gauge, sampled each second), RSS; and EXPLAIN
 * of the claim query.
 */
import fs from "node:fs";
import { insertRotations } from "../test/helpers/bulk-rotations";
import { rotationsOwningUsers } from "../runner/store/rotations";
import { CLI, connectedStore, type Env, log, ms, passIf, record, runnerEnv, sleep, spawnListening } from "./lib";

const SIZES = process.env.BENCH_SCALE_MAX === "100000" ? [1_000, 10_000, 100_000] : [1_000, 10_000, 100_000, 1_000_000];
const LARGEST = SIZES[SIZES.length - 1];

function rssMb(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name} ([0-9.eE+-]+)$`, "m").exec(text);
  return m ? Number(m[1]) : NaN;
}

export async function benchScale(env: Env): Promise<void> {
  log("== 5. scale");
  const { storeUrl, db, sealer, connectionId } = await connectedStore(env, "bench_scale", "scale-target");
  try {
    let have = 0;
    const ticks: Record<number, number> = {};
    for (const size of SIZES) {
      const t0 = performance.now();
      await insertRotations(db, sealer, { connectionId, from: have, to: size, project: "scale" });
      have = size;
      await db.query("VACUUM ANALYZE rotations");
      log(`  ${size} rotations in the store (inserted in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);

      const r = await spawnListening(env, CLI, runnerEnv(env, storeUrl), ["serve"]);
      env.cleanups.push(() => r.stop());
      let readyMs = NaN;
      for (const until = performance.now() + 30_000; performance.now() < until; await sleep(10)) {
        const res = await fetch(`${r.url}/readyz`).catch(() => undefined);
        if (res?.status === 200) {
          readyMs = performance.now() - r.startedAt;
          break;
        }
      }
      // The gauge holds the last tick's duration: sample 8 ticks after the first two.
      await sleep(2_500);
      const samples: number[] = [];
      for (let i = 0; i < 8; i++) {
        samples.push((await metric(r.url, "pgrotate_scheduler_tick_duration_seconds")) * 1000);
        await sleep(1_000);
      }
      const { rss, hwm } = rssMb(r.child.pid!);
      await r.stop();
      const tickMax = Math.max(...samples);
      const tickMed = [...samples].sort((a, b) => a - b)[samples.length >> 1];
      ticks[size] = tickMed;
      const big = size === LARGEST;
      record({ bench: "5 scale", figure: `${size} rotations: runner start → /readyz 200`, value: ms(readyMs, 0), floor: "", ratio: "", target: big ? "≤ 3000 ms" : "", pass: big ? passIf(readyMs <= 3000) : "info" });
      record({ bench: "5 scale", figure: `${size} rotations: scheduler tick (median / max of 8)`, value: `${ms(tickMed)} / ${ms(tickMax)}`, floor: size === SIZES[0] ? "" : ms(ticks[SIZES[0]]), ratio: size === SIZES[0] ? "" : (tickMed / ticks[SIZES[0]]).toFixed(2), target: big ? "≤ 50 ms" : "", pass: big ? passIf(tickMax <= 50) : "info" });
      record({ bench: "5 scale", figure: `${size} rotations: runner RSS (now / peak)`, value: `${rss.toFixed(0)} / ${hwm.toFixed(0)} MB`, floor: "", ratio: "", target: big ? "≤ 300 MB" : "", pass: big ? passIf(hwm <= 300) : "info" });
    }
    // The claim query's plan at the largest size (the SELECT of claimDue in runner/store/leased.ts).
    const plan = await db.query(
      `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
       SELECT id FROM rotations
       WHERE is_auto_rotation_enabled AND next_rotation_at IS NOT NULL AND next_rotation_at <= now()
         AND rotation_status <> 'pending' AND (lease_until IS NULL OR lease_until < now())
         AND NOT EXISTS (SELECT 1 FROM project_freezes f WHERE f.project_id = rotations.project_id)
       ORDER BY next_rotation_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
    );
    const text = plan.rows.map((x) => x["QUERY PLAN"]).join("\n");
    log(text);
    fs.mkdirSync("dist-bench", { recursive: true });
    fs.writeFileSync("dist-bench/claim-plan.txt", text + "\n");
    const usesIndex = /Index Scan using rotations_due/.test(text);
    record({ bench: "5 scale", figure: `claim query at ${LARGEST / 1000}k uses the partial index rotations_due`, value: usesIndex ? "yes (Index Scan)" : "NO", floor: "", ratio: "", target: "index scan", pass: passIf(usesIndex) });
    // What a create checks first (runner/rotation/ownership.ts): whether another rotation owns one of its users.
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) {
      await rotationsOwningUsers(db, { serverId: null, connectionIds: [connectionId], usernames: [`new_a_${i}`, `new_b_${i}`] });
    }
    const ownMs = (performance.now() - t0) / 5;
    record({ bench: "5 scale", figure: `${LARGEST / 1000}k rotations: a create's check of who owns its users (mean of 5)`, value: ms(ownMs), floor: "", ratio: "", target: "≤ 10 ms", pass: passIf(ownMs <= 10) });
  } finally {
    await db.end();
  }
}
