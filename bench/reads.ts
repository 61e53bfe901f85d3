/**
 * Benchmark 4: GET /api/v3/secrets/raw/:name with autocannon (50 connections, 10 s) against a bare Express
 * route serving the same JSON from memory. The runner and the bare server each run in their own child
 * process with the same node settings; autocannon runs in this process. Same run, same machine.
 */
import path from "node:path";
import autocannon from "autocannon";
import { CLI, type Env, log, ms, mustApi, passIf, processCpuMs, PROJECT, record, REPO, ROTATIONS, runnerEnv, sleep, spawnListening } from "./lib";
import type { RotationBenchState } from "./rotations";

const BARE = path.join(REPO, "dist-bench/bench/bare-server.js");
const CONNECTIONS = 50;
const DURATION_S = 10;

/** autocannon against `url`; `pid` is the server's process, whose CPU per request is measured over the run. */
async function cannon(url: string, pid: number | undefined, token?: string) {
  const headers = token ? { authorization: `Bearer ${token}` } : undefined;
  await autocannon({ url, connections: CONNECTIONS, duration: 2, headers }); // warm-up (JIT, pools, caches)
  const cpu0 = pid ? processCpuMs(pid) : NaN;
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers });
  const cpuUs = pid ? ((processCpuMs(pid) - cpu0) * 1000) / Math.max(1, r.requests.total) : NaN;
  const codes = Object.entries((r as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {})
    .map(([code, v]) => `${code}×${v.count}`).join(" ");
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, cpuUs, bad: r.non2xx + r.errors + r.timeouts, total: r["2xx"], codes: `${codes}${r.errors ? ` errors×${r.errors}` : ""}${r.timeouts ? ` timeouts×${r.timeouts}` : ""}` };
}

export async function benchReads(env: Env, s: RotationBenchState, label = ""): Promise<void> {
  log(`== 4. secret reads${label ? ` (${label})` : ""}`);
  const nodeArgs = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${path.join(REPO, "dist-bench/profiles")}`] : [];
  // BENCH_RUNNER_CLI (diagnostic): measure another build of the runner, e.g. a patched copy for a what-if.
  const runner = await spawnListening(env, process.env.BENCH_RUNNER_CLI ?? CLI, runnerEnv(env, s.storeUrl), ["serve"], nodeArgs);
  env.cleanups.push(() => runner.stop());
  const tok = env.adminToken;
  const readPath = `/api/v3/secrets/raw/${s.latency.passwordKey}?workspaceId=${PROJECT}&environment=dev&secretPath=/`;
  try {
    const body = await mustApi(runner.url, tok, "GET", readPath);
    const identity = await mustApi(runner.url, tok, "POST", "/api/v1/auth/identities", {
      name: `bench-app-${Date.now()}`, projectId: PROJECT, environment: "dev", secretPath: "/", permission: "read",
    });
    const login = await mustApi(runner.url, "", "POST", "/api/v1/auth/universal-auth/login", { clientId: identity.clientId, clientSecret: identity.clientSecret });
    const appToken = login.accessToken as string;

    const bare = await spawnListening(env, BARE, { BENCH_BODY: JSON.stringify(body) }, [], nodeArgs);
    env.cleanups.push(() => bare.stop());
    const floor = await cannon(bare.url + readPath, bare.child.pid);
    await bare.stop();
    const bareHttp = await spawnListening(env, BARE, { BENCH_BODY: JSON.stringify(body), BENCH_BARE_HTTP: "1" }, [], nodeArgs);
    env.cleanups.push(() => bareHttp.stop());
    const httpFloor = await cannon(bareHttp.url + readPath, bareHttp.child.pid);
    await bareHttp.stop();
    if (process.env.BENCH_LADDER) {
      // Diagnostic: the bare route plus the runner's global middleware, one layer at a time.
      for (const layers of ["helmet", "helmet,ratelimit", "helmet,ratelimit,json"]) {
        const b = await spawnListening(env, BARE, { BENCH_BODY: JSON.stringify(body), BENCH_BARE_WITH: layers }, [], nodeArgs);
        const r = await cannon(b.url + readPath, b.child.pid);
        await b.stop();
        record({ bench: "4 reads", figure: `  diagnostic: bare route + ${layers.replace(/,/g, " + ")}`, value: `${r.rps.toFixed(0)} req/s, p99 ${ms(r.p99, 0)}`, floor: `${floor.rps.toFixed(0)} req/s`, ratio: (r.rps / floor.rps).toFixed(2), target: "", pass: "info" });
      }
    }
    await sleep(500);
    const admin = await cannon(runner.url + readPath, runner.child.pid, tok);
    const app = await cannon(runner.url + readPath, runner.child.pid, appToken);

    // Freshness: a read right after a committed rotation returns the new password (never an older pair).
    const before = (await mustApi(runner.url, tok, "GET", readPath)).secret.secretValue as string;
    await mustApi(runner.url, tok, "POST", `${ROTATIONS}/${s.latency.id}/rotate-secrets?force=true`);
    const gen = await mustApi(runner.url, tok, "GET", `${ROTATIONS}/${s.latency.id}/generated-credentials`);
    const active = gen.generatedCredentials[gen.activeIndex].password as string;
    const after = (await mustApi(runner.url, appToken, "GET", readPath)).secret.secretValue as string;
    const fresh = after === active && after !== before;

    const tag = label ? ` [${label}]` : "";
    const inFolder = (await mustApi(runner.url, tok, "GET", `/api/v3/secrets/raw?workspaceId=${PROJECT}&environment=dev&secretPath=/`)).secrets.length as number;
    record({ bench: "4 reads", figure: `secrets in the folder read from${tag}`, value: String(inFolder), floor: "", ratio: "", target: "", pass: "info" });
    record({ bench: "4 reads", figure: `bare Express route, same JSON${tag}`, value: `${floor.rps.toFixed(0)} req/s, p99 ${ms(floor.p99, 0)}`, floor: "", ratio: "", target: "", pass: floor.bad ? "FAIL" : "info" });
    record({ bench: "4 reads", figure: `bare node:http server, same answer (headers and JSON)${tag}`, value: `${httpFloor.rps.toFixed(0)} req/s, p99 ${ms(httpFloor.p99, 0)}`, floor: "", ratio: "", target: "", pass: httpFloor.bad ? "FAIL" : "info" });
    for (const [who, r] of [["admin token", admin], ["machine-identity token", app]] as const) {
      const ratio = r.rps / floor.rps;
      record({ bench: "4 reads", figure: `GET secrets/raw/:name, ${who}, 50 conns${tag}`, value: `${r.rps.toFixed(0)} req/s`, floor: `${floor.rps.toFixed(0)} req/s`, ratio: ratio.toFixed(2), target: "≥ 0.7", pass: passIf(ratio >= 0.7 && r.bad === 0) });
      record({ bench: "4 reads", figure: `  p50 / p99, ${who}${tag}`, value: `${ms(r.p50, 0)} / ${ms(r.p99, 0)}`, floor: `${ms(floor.p50, 0)} / ${ms(floor.p99, 0)}`, ratio: "", target: "p99 ≤ 10 ms", pass: passIf(r.p99 <= 10 && r.bad === 0) });
      record({ bench: "4 reads", figure: `  server CPU per request, ${who}${tag}`, value: `${r.cpuUs.toFixed(0)} µs`, floor: `${httpFloor.cpuUs.toFixed(0)} µs (node:http), ${floor.cpuUs.toFixed(0)} µs (Express)`, ratio: (r.cpuUs / httpFloor.cpuUs).toFixed(2), target: "", pass: "info" });
      const vsHttp = r.rps / httpFloor.rps;
      record({ bench: "4 reads", figure: `  the same against the bare node:http server${tag}`, value: `${r.rps.toFixed(0)} req/s`, floor: `${httpFloor.rps.toFixed(0)} req/s`, ratio: vsHttp.toFixed(2), target: "≥ 0.8", pass: passIf(vsHttp >= 0.8 && r.bad === 0) });
      if (r.bad) record({ bench: "4 reads", figure: `  non-2xx/errors, ${who}${tag}`, value: `${r.bad} (${r.codes})`, floor: "", ratio: "", target: "0", pass: "FAIL" });
    }
    record({ bench: "4 reads", figure: `read right after a rotation returns the new password${tag}`, value: fresh ? "yes" : "NO", floor: "", ratio: "", target: "yes", pass: passIf(fresh) });
  } finally {
    await runner.stop();
  }
}
