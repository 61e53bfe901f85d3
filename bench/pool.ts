/**
 * Benchmark 7: pgrotate/pg. (a) Query latency through the rotating pool against a plain pg.Pool logged in as the
 * same user on the same database, in alternating rounds of the same run (sequential, and 10 concurrent
 * callers); target p50 ≤ 1.05× the plain pool. (b) How long after a rotation's answer the pool logs new
 * connections in as the new user: to its switch (learnt from the change feed) and to the first query served
 * by the new user.
 */
import { Pool } from "pg";
import { createRotatingPool, type RotatingPoolEvent } from "../pg";
import { connectionBody, createStoreDb, createUsers, type Env, inProcessRunner, log, ms, mustApi, passIf, percentile, PROJECT, record, ROTATIONS, rotationBody, sleep } from "./lib";

const ROUNDS = 10;
const PER_ROUND = 2000;
const ROTATIONS_MEASURED = 20;

async function timed(run: () => Promise<unknown>, n: number, concurrency: number): Promise<number[]> {
  const out: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) {
        const t0 = performance.now();
        await run();
        out.push(performance.now() - t0);
      }
    }),
  );
  return out;
}

export async function benchPool(env: Env): Promise<void> {
  log("== 7. pgrotate/pg: a pool that follows rotations");
  const storeUrl = await createStoreDb(env, "bench_pool");
  const runner = await inProcessRunner(env, storeUrl, { PGROTATE_LOG_LEVEL: "warn" });
  const tok = env.adminToken;
  const users = (await createUsers(env, "pool_user", 2)) as [string, string];
  const conn = await mustApi(runner.url, tok, "POST", "/api/v1/app-connections/postgres", connectionBody(env, "bench-pool"));
  const rot = await mustApi(runner.url, tok, "POST", ROTATIONS, rotationBody(conn.appConnection.id as string, "bench-pool", users, ["POOL_DB_USER", "POOL_DB_PASSWORD"]));
  const id = rot.secretRotation.id as string;
  const activePair = async () => {
    const g = await mustApi(runner.url, tok, "GET", `${ROTATIONS}/${id}/generated-credentials`);
    return g.generatedCredentials[g.activeIndex] as { username: string; password: string };
  };
  const base = { host: "127.0.0.1", port: env.target.port, database: env.targetDb, max: 10 };
  const events: Array<{ e: RotatingPoolEvent; at: number }> = [];
  const newRotating = (onEvent?: (e: RotatingPoolEvent) => void) =>
    createRotatingPool({
      runnerUrl: runner.url,
      token: tok,
      projectId: PROJECT,
      environment: "dev",
      secretPath: "/",
      usernameKey: "POOL_DB_USER",
      passwordKey: "POOL_DB_PASSWORD",
      pool: base,
      onEvent,
    });
  const newPlain = async () => {
    const pair = await activePair();
    const p = new Pool({ ...base, user: pair.username, password: pair.password });
    p.on("error", () => undefined);
    return p;
  };
  // (a) Fresh pools each round (so which backend lands on which core averages out), both warmed to full size;
  // sequential queries alternate between the two pools one by one, concurrent batches alternate in order.
  const lat = { plain: { seq: [] as number[], conc: [] as number[] }, rotating: { seq: [] as number[], conc: [] as number[] } };
  const ratios = { seq: [] as number[], conc: [] as number[] };
  const cpu = { plain: 0, rotating: 0 };
  for (let r = 0; r < ROUNDS; r++) {
    const pools = { plain: await newPlain(), rotating: newRotating() };
    const round = { plain: { seq: [] as number[], conc: [] as number[] }, rotating: { seq: [] as number[], conc: [] as number[] } };
    try {
      for (const p of Object.values(pools)) await timed(() => p.query("SELECT 1"), 500, 10);
      for (let i = 0; i < PER_ROUND; i++) {
        for (const which of i % 2 ? (["rotating", "plain"] as const) : (["plain", "rotating"] as const)) {
          const t0 = performance.now();
          await pools[which].query("SELECT 1");
          round[which].seq.push(performance.now() - t0);
        }
      }
      for (let k = 0; k < 8; k++) {
        for (const which of (r + k) % 2 ? (["rotating", "plain"] as const) : (["plain", "rotating"] as const)) {
          const c0 = process.cpuUsage();
          round[which].conc.push(...(await timed(() => pools[which].query("SELECT 1"), PER_ROUND / 4, 10)));
          const c1 = process.cpuUsage(c0);
          cpu[which] += c1.user + c1.system;
        }
      }
    } finally {
      await pools.plain.end();
      await pools.rotating.end();
    }
    for (const mode of ["seq", "conc"] as const) {
      ratios[mode].push(percentile(round.rotating[mode], 50) / percentile(round.plain[mode], 50));
      lat.plain[mode].push(...round.plain[mode]);
      lat.rotating[mode].push(...round.rotating[mode]);
    }
  }
  // The ratio is the median over rounds of each round's p50 ratio: a round disturbed by other load on the machine
  // weighs no more than any other.
  for (const mode of ["seq", "conc"] as const) {
    const a = percentile(lat.rotating[mode], 50);
    const b = percentile(lat.plain[mode], 50);
    const ratio = percentile(ratios[mode], 50);
    const label = mode === "seq" ? "1 caller" : "10 concurrent callers";
    record({ bench: "7 pool", figure: `SELECT 1 p50 through the rotating pool, ${label} (ratio: median of ${ROUNDS} rounds)`, value: ms(a, 3), floor: ms(b, 3), ratio: ratio.toFixed(3), target: "≤ 1.05", pass: passIf(ratio <= 1.05) });
    record({ bench: "7 pool", figure: `  p99, ${label}`, value: ms(percentile(lat.rotating[mode], 99), 3), floor: ms(percentile(lat.plain[mode], 99), 3), ratio: (percentile(lat.rotating[mode], 99) / percentile(lat.plain[mode], 99)).toFixed(3), target: "", pass: "info" });
  }
  const n = (ROUNDS * 8 * PER_ROUND) / 4;
  record({ bench: "7 pool", figure: "  node CPU per query (client side), 10 concurrent callers", value: `${(cpu.rotating / n).toFixed(1)} µs`, floor: `${(cpu.plain / n).toFixed(1)} µs`, ratio: (cpu.rotating / cpu.plain).toFixed(3), target: "", pass: "info" });

  const rotating = newRotating((e) => events.push({ e, at: performance.now() }));
  try {
    await rotating.query("SELECT 1");
    // (b) rotation → the pool on the new user
    const toSwitch: number[] = [];
    const toServed: number[] = [];
    for (let i = 0; i < ROTATIONS_MEASURED; i++) {
      const before = events.filter((x) => x.e.type === "switched").length;
      const target = users.find((u) => u !== rotating.username)!; // a rotation makes the other user active
      await mustApi(runner.url, tok, "POST", `${ROTATIONS}/${id}/rotate-secrets?force=true`);
      const answered = performance.now();
      for (;;) {
        const { rows } = await rotating.query<{ u: string }>("SELECT session_user AS u");
        if (rows[0].u === target) break;
        await sleep(1);
      }
      toServed.push(performance.now() - answered);
      const sw = events.filter((x) => x.e.type === "switched")[before];
      if (sw) toSwitch.push(sw.at - answered);
      await sleep(50);
    }
    const refused = events.filter((x) => x.e.type === "login-refused").length;
    record({ bench: "7 pool", figure: `rotation answered → pool switched (change feed), p50 / p99 of ${toSwitch.length}`, value: `${ms(percentile(toSwitch, 50))} / ${ms(percentile(toSwitch, 99))}`, floor: "", ratio: "", target: "", pass: "info" });
    record({ bench: "7 pool", figure: "rotation answered → first query served by the new user, p50 / p99", value: `${ms(percentile(toServed, 50))} / ${ms(percentile(toServed, 99))}`, floor: "", ratio: "", target: "", pass: "info" });
    record({ bench: "7 pool", figure: "logins refused during those rotations", value: String(refused), floor: "", ratio: "", target: "0", pass: passIf(refused === 0) });
  } finally {
    await rotating.end();
  }
}
