/**
 * Benchmarks 1–3: rotation latency, a burst of due rotations, schedule precision. One in-process runner on
 * its own store database; the floor loops do only the irreducible work against the same target.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { scramSha256Verifier } from "../runner/postgres/scram";
import type { Runner } from "../runner/runtime";
import {
  CLI, connectionBody, type CpuSnap, cpuPer, cpuSnap, createStoreDb, createUsers, type Env, inProcessRunner, log, ms, mustApi, passIf, percentile, pool,
  processCpuMs, record, REPO, ROTATIONS, rotationBody, runnerEnv, sleep, spawnListening, withClient,
} from "./lib";
import { installTrace, traceReport, traceStart } from "./trace";

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** The irreducible work of one rotation: SCRAM verifier, ALTER ROLE, a login with the new password, SELECT 1. */
async function floorRotate(env: Env, admin: Client, user: string): Promise<void> {
  const password = crypto.randomBytes(24).toString("hex");
  await admin.query(`ALTER ROLE ${q(user)} WITH PASSWORD '${scramSha256Verifier(password)}'`);
  const login = new Client({ host: "127.0.0.1", port: env.target.port, database: env.targetDb, user, password, ssl: false });
  login.on("error", () => undefined);
  await login.connect();
  await login.query("SELECT 1");
  await login.end();
}

async function adminClient(env: Env): Promise<Client> {
  const c = new Client({ host: "127.0.0.1", port: env.target.port, database: env.targetDb, user: env.admin.username, password: env.admin.password, ssl: false });
  c.on("error", () => undefined);
  await c.connect();
  return c;
}

export interface RotationBenchState {
  runner: Runner;
  storeUrl: string;
  connectionId: string;
  /** The latency rotation: its secret is what the reads benchmark reads. */
  latency: { id: string; passwordKey: string };
}

export async function setupRotations(env: Env): Promise<RotationBenchState> {
  const storeUrl = await createStoreDb(env, "bench_rotations");
  const runner = await inProcessRunner(env, storeUrl);
  const tok = runner.adminToken;
  const conn = await mustApi(runner.url, tok, "POST", "/api/v1/app-connections/postgres", connectionBody(env, "bench-target"));
  const connectionId = conn.appConnection.id as string;
  const [a, b] = await createUsers(env, "lat", 2);
  const rot = await mustApi(runner.url, tok, "POST", ROTATIONS, rotationBody(connectionId, "latency", [a, b], ["LAT_USER", "LAT_PASSWORD"]));
  return { runner, storeUrl, connectionId, latency: { id: rot.secretRotation.id, passwordKey: "LAT_PASSWORD" } };
}

/** 1. Rotation latency: 200 forced manual rotations through the API vs the floor loop, interleaved in blocks. */
export async function benchLatency(env: Env, s: RotationBenchState): Promise<void> {
  log("== 1. rotation latency");
  const [floorUser] = await createUsers(env, "floor_lat", 1);
  const admin = await adminClient(env);
  const api: number[] = [];
  const floor: number[] = [];
  // Diagnostic, not the floor: the same work with a fresh connection-role login per rotation, as the product opens one.
  const floorFresh: number[] = [];
  // Diagnostic "design floor": the floor plus the two durable store commits the design requires (the lease with an
  // intent row, committed before ALTER ROLE; the result, committed after the login), on a store client kept open.
  const floorDesign: number[] = [];
  // Diagnostic: the runner's engine called in-process, without HTTP, authentication and the route.
  const engineOnly: number[] = [];
  // Diagnostic: the HTTP round trip alone (same client, same runner): GET of the rotation, authenticated.
  const httpOnly: number[] = [];
  const store = new Client({ connectionString: s.storeUrl });
  store.on("error", () => undefined);
  await store.connect();
  await store.query("CREATE TABLE IF NOT EXISTS bench_design_floor (id serial PRIMARY KEY, v bytea, done boolean NOT NULL DEFAULT false)");
  const designRotate = async () => {
    const { rows } = await store.query<{ id: number }>("INSERT INTO bench_design_floor (v) VALUES ($1) RETURNING id", [crypto.randomBytes(64)]);
    await floorRotate(env, admin, floorUser);
    await store.query("UPDATE bench_design_floor SET done = true, v = $2 WHERE id = $1", [rows[0].id, crypto.randomBytes(64)]);
  };
  const apiCpu = { node: 0, store: 0, target: 0 };
  const floorCpu = { node: 0, store: 0, target: 0 };
  const addCpu = (acc: CpuSnap, a: CpuSnap, b: CpuSnap) => {
    acc.node += b.node - a.node;
    acc.store += b.store - a.store;
    acc.target += b.target - a.target;
  };
  const rotate = () => mustApi(s.runner.url, s.runner.adminToken, "POST", `${ROTATIONS}/${s.latency.id}/rotate-secrets?force=true`);
  const apiOwnProcess: number[] = [];
  const childCpu = { runner: 0, client: 0, floor: 0, cold: 0 };
  try {
    for (let i = 0; i < 10; i++) {
      await rotate();
      await floorRotate(env, admin, floorUser);
    }
    for (let block = 0; block < 4; block++) {
      let c0 = cpuSnap(env);
      for (let i = 0; i < 50; i++) {
        const t0 = performance.now();
        await rotate();
        api.push(performance.now() - t0);
      }
      await sleep(50); // the audit row is written after the response
      addCpu(apiCpu, c0, cpuSnap(env));
      c0 = cpuSnap(env);
      for (let i = 0; i < 50; i++) {
        const t0 = performance.now();
        await floorRotate(env, admin, floorUser);
        floor.push(performance.now() - t0);
      }
      addCpu(floorCpu, c0, cpuSnap(env));
      for (let i = 0; i < 25; i++) {
        const t0 = performance.now();
        const fresh = await adminClient(env);
        await floorRotate(env, fresh, floorUser);
        await fresh.end();
        floorFresh.push(performance.now() - t0);
      }
      for (let i = 0; i < 25; i++) {
        const t0 = performance.now();
        await designRotate();
        floorDesign.push(performance.now() - t0);
      }
      for (let i = 0; i < 25; i++) {
        const t0 = performance.now();
        await s.runner.engine.rotate(s.latency.id, { trigger: "manual", force: true });
        engineOnly.push(performance.now() - t0);
      }
      for (let i = 0; i < 25; i++) {
        const t0 = performance.now();
        await mustApi(s.runner.url, s.runner.adminToken, "GET", `${ROTATIONS}/${s.latency.id}`);
        httpOnly.push(performance.now() - t0);
      }
    }
    // The runner's own CPU per API rotation: the same rotations through a runner in its own process (as it is
    // deployed), its CPU read from /proc, against the floor loop's process CPU in the same blocks.
    const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${path.join(REPO, "dist-bench/profiles")}`] : [];
    const child = await spawnListening(env, CLI, runnerEnv(env, s.storeUrl), ["serve"], profile);
    try {
      const rotateChild = () => mustApi(child.url, env.adminToken, "POST", `${ROTATIONS}/${s.latency.id}/rotate-secrets?force=true`);
      // Its JIT warms up first, as the in-process runner's and the floor loop's process have. A runner meets
      // each of its many functions once or twice per rotation, so V8 keeps optimizing new ones for thousands of
      // rotations. Measured here with --trace-opt, per rotation in windows of 200: background compilation 1.5 ms
      // and process CPU 7.1 ms over the first 200; 0.5 and 4.6 at 600–1,000; 0.1–0.3 and 3.8–4.0 after 2,200.
      // One-off work per process, not per rotation: the first 100 are reported on their own.
      const cold0 = processCpuMs(child.child.pid!);
      for (let i = 0; i < 100; i++) await rotateChild();
      childCpu.cold = (processCpuMs(child.child.pid!) - cold0) / 100;
      for (let i = 0; i < 900; i++) await rotateChild();
      for (let block = 0; block < 4; block++) {
        const r0 = processCpuMs(child.child.pid!);
        const c0 = process.cpuUsage();
        for (let i = 0; i < 25; i++) {
          const t0 = performance.now();
          await rotateChild();
          apiOwnProcess.push(performance.now() - t0);
        }
        await sleep(50);
        const c1 = process.cpuUsage(c0);
        childCpu.runner += processCpuMs(child.child.pid!) - r0;
        childCpu.client += (c1.user + c1.system) / 1000;
        const f0 = process.cpuUsage();
        for (let i = 0; i < 25; i++) await floorRotate(env, admin, floorUser);
        const f1 = process.cpuUsage(f0);
        childCpu.floor += (f1.user + f1.system) / 1000;
      }
    } finally {
      await child.stop();
    }
    if (process.env.BENCH_TRACE) {
      installTrace();
      traceStart();
      for (let i = 0; i < 50; i++) await rotate();
      await sleep(200); // the audit row is written after the response
      const apiReport = traceReport(50);
      traceStart();
      for (let i = 0; i < 50; i++) await floorRotate(env, admin, floorUser);
      const floorReport = traceReport(50);
      const text = `per API rotation (wall time of pg calls, overlapping calls counted each):\n${apiReport}\nper floor rotation:\n${floorReport}\n`;
      log(text);
      fs.mkdirSync(path.join(REPO, "dist-bench"), { recursive: true });
      fs.writeFileSync(path.join(REPO, "dist-bench/latency-trace.txt"), text);
    }
  } finally {
    await admin.end();
    await store.end();
  }
  const p50 = percentile(api, 50);
  const f50 = percentile(floor, 50);
  record({ bench: "1 latency", figure: "rotation p50 (200 × POST rotate-secrets?force=true)", value: ms(p50), floor: ms(f50), ratio: (p50 / f50).toFixed(2), target: "ratio ≤ 1.5", pass: passIf(p50 / f50 <= 1.5) });
  const fresh50 = percentile(floorFresh, 50);
  record({ bench: "1 latency", figure: "  diagnostic: floor + a fresh connection-role login per rotation, p50", value: ms(fresh50), floor: ms(f50), ratio: (fresh50 / f50).toFixed(2), target: "", pass: "info" });
  const design50 = percentile(floorDesign, 50);
  record({ bench: "1 latency", figure: "  diagnostic: design floor (floor + 2 committed store writes) p50; API vs it", value: ms(p50), floor: ms(design50), ratio: (p50 / design50).toFixed(2), target: "", pass: "info" });
  const engine50 = percentile(engineOnly, 50);
  record({ bench: "1 latency", figure: "  diagnostic: engine.rotate() in-process (no HTTP, auth, route) p50", value: ms(engine50), floor: ms(f50), ratio: (engine50 / f50).toFixed(2), target: "", pass: "info" });
  record({ bench: "1 latency", figure: "  diagnostic: GET of the rotation through the API (HTTP + auth + one store read) p50", value: ms(percentile(httpOnly, 50)), floor: "", ratio: "", target: "", pass: "info" });
  const zero = { node: 0, store: 0, target: 0 };
  record({ bench: "1 latency", figure: "  CPU per rotation (bench+runner process, store, target)", value: cpuPer(zero, apiCpu, 200), floor: cpuPer(zero, floorCpu, 200), ratio: "", target: "", pass: "info" });
  const own = { runner: childCpu.runner / 100, client: childCpu.client / 100, floor: childCpu.floor / 100 };
  record({ bench: "1 latency", figure: "  diagnostic: node CPU of the runner process over its first 100 rotations (JIT still compiling)", value: `${childCpu.cold.toFixed(1)} ms`, floor: `${own.floor.toFixed(1)} ms`, ratio: `+${(childCpu.cold - own.floor).toFixed(1)} ms`, target: "", pass: "info" });
  record({ bench: "1 latency", figure: "  the same through a runner in its own process, p50 (100 rotations after 1,000)", value: ms(percentile(apiOwnProcess, 50)), floor: ms(f50), ratio: (percentile(apiOwnProcess, 50) / f50).toFixed(2), target: "", pass: "info" });
  record({
    bench: "1 latency", figure: "node CPU per rotation: runner process (own process) vs floor loop process",
    value: `${own.runner.toFixed(1)} ms (bench's HTTP client ${own.client.toFixed(1)} ms)`, floor: `${own.floor.toFixed(1)} ms`,
    // Issue 16's "≤ floor + 2 ms" was met with speed-ups issue 21 gave back (asynchronous commits, pg internals): shown, not a target.
    ratio: `+${(own.runner - own.floor).toFixed(1)} ms`, target: "", pass: "info",
  });
  record({ bench: "1 latency", figure: "rotation p99", value: ms(percentile(api, 99)), floor: ms(percentile(floor, 99)), ratio: (percentile(api, 99) / percentile(floor, 99)).toFixed(2), target: "", pass: "info" });
}

/** Diagnostic (BENCH_STORE_STATS): the store's statements by total time, per rotation of the burst. */
async function storeStatements(storeUrl: string, rotations: number): Promise<void> {
  await withClient(storeUrl, async (c) => {
    const top = await c.query<{ calls: string; total: number; mean: number; rows: string; query: string }>(
      `SELECT calls, total_exec_time + total_plan_time AS total, mean_exec_time AS mean, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 110) AS query
       FROM pg_stat_statements ORDER BY total_exec_time + total_plan_time DESC LIMIT 25`);
    log(`store statements during the burst (ms per rotation, calls per rotation, mean ms):`);
    for (const r of top.rows) log(`  ${(r.total / rotations).toFixed(3)}  ${(Number(r.calls) / rotations).toFixed(2)}×  ${r.mean.toFixed(3)}  ${r.query}`);
    const fns = await c.query<{ funcname: string; calls: string; self: number }>("SELECT funcname, calls, self_time AS self FROM pg_stat_user_functions ORDER BY self_time DESC LIMIT 10");
    for (const r of fns.rows) log(`  function ${r.funcname}: ${(Number(r.calls) / rotations).toFixed(2)}× per rotation, ${(r.self / rotations).toFixed(3)} ms self per rotation`);
  });
}

/** 2. Burst: 1,000 rotations due at the same instant, default concurrency, vs the floor loop at the same concurrency. */
export async function benchBurst(env: Env, s: RotationBenchState, count = 1000): Promise<string[]> {
  log(`== 2. burst of ${count} due rotations`);
  const users = await createUsers(env, "burst", 2 * count);
  const ids: string[] = [];
  const t0 = performance.now();
  await pool(Array.from({ length: count }, (_, i) => i), 8, async (i) => {
    const body = rotationBody(s.connectionId, `burst-${i}`, [users[2 * i], users[2 * i + 1]], [`BURST_${i}_USER`, `BURST_${i}_PASSWORD`]);
    const res = await mustApi(s.runner.url, s.runner.adminToken, "POST", ROTATIONS, body);
    ids[i] = res.secretRotation.id;
  });
  const createMs = performance.now() - t0;
  record({ bench: "2 burst", figure: `create ${count} rotations via the API (8 clients)`, value: `${(createMs / 1000).toFixed(1)} s (${(count / (createMs / 1000)).toFixed(0)}/s)`, floor: "", ratio: "", target: "", pass: "info" });

  const concurrency = 8; // the runner's default PGROTATE_CONCURRENCY
  const burst = () => withClient(s.storeUrl, async (c) => {
    // As if the last rotation was an hour ago: after the warm-up burst the grace guard would defer them.
    const due = (await c.query<{ t: Date }>("UPDATE rotations SET next_rotation_at = now(), inactive_since = now() - interval '1 hour' WHERE name LIKE 'burst-%' RETURNING now() AS t")).rows[0].t;
    const until = Date.now() + 120_000;
    for (;;) {
      const r = (await c.query<{ n: number; last: Date | null; first: Date | null }>(
        "SELECT count(*)::int AS n, max(finished_at) AS last, min(h.started_at) AS first FROM rotation_history h JOIN rotations r ON r.id = h.rotation_id WHERE r.name LIKE 'burst-%' AND h.trigger = 'scheduled' AND h.result = 'success' AND h.started_at >= $1",
        [due],
      )).rows[0];
      if (r.n >= count) return { dueAt: due, done: r.last!, firstStart: r.first! };
      if (Date.now() > until) throw new Error(`burst: only ${r.n} of ${count} finished within 120 s`);
      // The end time is the last finished_at, not this poll's time: poll rarely, as the poll's join over the
      // history shares the store's CPU with the runner being measured.
      await sleep(500);
    }
  });
  // A warm-up burst first, unmeasured: the scheduled path (claims, leases ahead, the scheduler's wake-ups) is
  // JIT-compiled during it, as the floor loop's code already is in this process (see benchLatency: a runner's
  // CPU per rotation keeps falling for its first thousands of rotations while V8 optimizes).
  const warm = await burst();
  record({ bench: "2 burst", figure: "  warm-up burst (unmeasured): first start → last finish", value: `${((warm.done.getTime() - warm.firstStart.getTime()) / 1000).toFixed(2)} s`, floor: "", ratio: "", target: "", pass: "info" });
  if (process.env.BENCH_STORE_STATS) await withClient(s.storeUrl, (c) => c.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset(); SELECT pg_stat_reset();"));
  const cpu0 = cpuSnap(env);
  const { dueAt, done, firstStart } = await burst();
  if (process.env.BENCH_STORE_STATS) await storeStatements(s.storeUrl, count);
  const failed = await withClient(s.storeUrl, async (c) =>
    (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM rotation_history WHERE trigger = 'scheduled' AND result = 'failed' AND started_at >= $1", [dueAt])).rows[0].n);
  const burstS = (done.getTime() - dueAt.getTime()) / 1000;
  // Throughput is measured from the first rotation's start: before it the runner only waits for its next
  // tick (0–1 s, a random phase; bench 3 measures that wait), which the floor loop, started at once, has not.
  const workS = (done.getTime() - firstStart.getTime()) / 1000;
  const cpu1 = cpuSnap(env);

  const floorUsers = await createUsers(env, "floor_burst", count);
  const admins = await Promise.all(Array.from({ length: concurrency }, () => adminClient(env)));
  let next = 0;
  const fcpu0 = cpuSnap(env);
  const f0 = performance.now();
  await Promise.all(admins.map(async (a) => {
    while (next < floorUsers.length) await floorRotate(env, a, floorUsers[next++]);
  }));
  const floorS = (performance.now() - f0) / 1000;
  const fcpu1 = cpuSnap(env);
  await Promise.all(admins.map((a) => a.end()));

  record({ bench: "2 burst", figure: `${count} due at once → all finished (concurrency ${concurrency})`, value: `${burstS.toFixed(2)} s`, floor: "", ratio: "", target: "≤ 20 s", pass: passIf(burstS <= 20 && failed === 0) });
  record({ bench: "2 burst", figure: "  wait for the first tick after the due instant", value: `${((firstStart.getTime() - dueAt.getTime()) / 1000).toFixed(2)} s`, floor: "", ratio: "", target: "", pass: "info" });
  record({ bench: "2 burst", figure: "rotations per second (first start → last finish)", value: `${(count / workS).toFixed(0)}/s`, floor: `${(count / floorS).toFixed(0)}/s`, ratio: (workS / floorS).toFixed(2), target: "time ratio ≤ 1.5", pass: passIf(workS / floorS <= 1.5) });
  // Issue 16: with the wake at the due instant, the burst from its due instant finishes within 1.2× the floor loop.
  record({ bench: "2 burst", figure: "  the same from the due instant (tick wait included)", value: `${(count / burstS).toFixed(0)}/s`, floor: `${(count / floorS).toFixed(0)}/s`, ratio: (burstS / floorS).toFixed(2), target: "", pass: failed === 0 ? "info" : "FAIL" }); // issue 16's 1.2× was given back with its speed-ups (issue 21)
  record({ bench: "2 burst", figure: "  CPU per rotation (runner process, store, target)", value: cpuPer(cpu0, cpu1, count), floor: cpuPer(fcpu0, fcpu1, count), ratio: "", target: "", pass: "info" });
  if (failed) record({ bench: "2 burst", figure: "failed attempts during the burst", value: String(failed), floor: "", ratio: "", target: "0", pass: "FAIL" });
  return ids;
}

/** 3. Schedule precision: due → started (history.started_at) for rotations due at spread-out instants, 1 s tick. */
export async function benchPrecision(s: RotationBenchState, ids: string[], count = 100): Promise<void> {
  log(`== 3. schedule precision (${count} rotations, due 173 ms apart)`);
  const chosen = ids.slice(0, count);
  await withClient(s.storeUrl, async (c) => {
    // As if the last rotation was an hour ago (the grace guard would otherwise defer them), due at instants
    // that fall on every phase of the 1 s tick.
    const due = await c.query<{ id: string; next_rotation_at: Date; t: Date }>(
      `UPDATE rotations r SET inactive_since = now() - interval '1 hour',
         next_rotation_at = now() + interval '1 second' + (x.ord * interval '173 milliseconds')
       FROM unnest($1::uuid[]) WITH ORDINALITY AS x(id, ord) WHERE r.id = x.id
       RETURNING r.id, r.next_rotation_at, now() AS t`,
      [chosen],
    );
    const dueOf = new Map(due.rows.map((r) => [r.id, r.next_rotation_at.getTime()]));
    const t0 = due.rows[0].t;
    const until = Date.now() + 60_000 + count * 173;
    let started: Array<{ rotation_id: string; started_at: Date }>;
    for (;;) {
      started = (await c.query("SELECT DISTINCT ON (rotation_id) rotation_id, started_at FROM rotation_history WHERE rotation_id = ANY($1::uuid[]) AND trigger = 'scheduled' AND started_at >= $2 ORDER BY rotation_id, started_at", [chosen, t0])).rows;
      if (started.length >= count) break;
      if (Date.now() > until) throw new Error(`precision: only ${started.length} of ${count} started`);
      await sleep(200);
    }
    const lat = started.map((r) => r.started_at.getTime() - dueOf.get(r.rotation_id)!);
    const p50 = percentile(lat, 50);
    const p99 = percentile(lat, 99);
    record({ bench: "3 precision", figure: "due → started p50", value: ms(p50, 0), floor: "", ratio: "", target: "", pass: "info" });
    record({ bench: "3 precision", figure: "due → started p99 (woken at the due instant; tick 1 s as safety net)", value: ms(p99, 0), floor: "", ratio: "", target: "≤ 100 ms", pass: passIf(p99 <= 100) });
    record({ bench: "3 precision", figure: "due → started max / min", value: `${ms(Math.max(...lat), 0)} / ${ms(Math.min(...lat), 0)}`, floor: "", ratio: "", target: "", pass: "info" });
  });
}
