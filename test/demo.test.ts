/**
 * `npm run demo` and `npm run demo -- --keep`: the built demo (dist/examples/demo/demo.js) as a child process in its own process group,
 * so Ctrl-C is what a terminal sends (SIGINT to the demo and its PostgreSQL servers alike). Every process it starts is
 * killed in afterAll, even when a test fails.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Client } from "pg";
import { RunnerClient } from "../provider/client";

const ROOT = path.resolve(__dirname, "..");
const DEMO = path.join(ROOT, "dist/examples/demo/demo.js");

interface Demo {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const children: ChildProcess[] = [];

function runDemo(args: string[], env: Record<string, string> = {}): Demo {
  if (!fs.existsSync(DEMO)) throw new Error(`${DEMO} is missing: npm test builds it first (pretest), or run npm run build`);
  const child = spawn(process.execPath, [DEMO, ...args], { cwd: ROOT, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(demo: Demo, re: RegExp, ms: number): Promise<RegExpExecArray> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) {
    const m = re.exec(demo.output());
    if (m) return m;
    if (demo.child.exitCode !== null) break;
  }
  throw new Error(`no ${re} in the demo's output (exit ${demo.child.exitCode}):\n${demo.output()}`);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms).unref())]);

/** Processes (other than the demo's node) whose command line names `dir`: its PostgreSQL servers. */
function processesUsing(dir: string): number[] {
  const pids: number[] = [];
  for (const e of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0");
      if (argv.some((a) => a.startsWith(dir)) && !argv.includes(DEMO)) pids.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", () => resolve(true));
  });
}

describe("npm run demo", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-demo-plain-"));
  fs.chmodSync(tmp, 0o755);

  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test("When run without options, then it rotates twice in under a minute, exits 0 and leaves no directory or server behind", async () => {
    const demo = runDemo([], { TMPDIR: tmp });
    expect(await within(demo.exited, 60000, "the demo")).toBe(0);
    const out = demo.output();
    expect(out).toMatch(/4\.2 Rotation 2 finished in \d+ ms/);
    expect(out).toMatch(/after rotation 2: active user = app_user_1/);
    expect(out).not.toMatch(/FAILS|Kept running/);
    expect(Number(/Done in ([\d.]+) s\./.exec(out)?.[1])).toBeLessThan(60);
    // From a checkout the postgres user cannot enter (mode 700, as root), the binaries are copied once to
    // $TMPDIR/pgrotate-pg-<major>-<version> and kept for every later start (runner/embedded/permissions.ts): not a leftover.
    expect(fs.readdirSync(tmp).filter((e) => !/^pgrotate-pg-\d+-/.test(e))).toEqual([]);
    expect(processesUsing(tmp)).toEqual([]);
  });
});

describe("npm run demo -- --keep", () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-demo-keep-"));
  fs.chmodSync(base, 0o755); // the embedded servers' postgres user (when running as root) traverses it
  const dir = path.join(base, "demo");
  let kept: Demo | undefined;
  let consoleUrl = "";
  let runnerPort = 0;
  let targetPort = 0;
  let token = "";

  afterAll(async () => {
    // Each demo's group: a demo killed on purpose leaves its PostgreSQL servers in it.
    for (const child of children) {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const pid of processesUsing(base)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await sleep(200);
    fs.rmSync(base, { recursive: true, force: true });
  });

  test("When run with --keep, then after the rotations it keeps serving the console, and the API lists the demo's rotation as rotated successfully on a target that still answers", async () => {
    kept = runDemo(["--keep", "--dir", dir, "--port", "0"]);
    consoleUrl = (await waitFor(kept, /Console:\s+(http:\/\/127\.0\.0\.1:\d+\/)/, 45000))[1];
    runnerPort = Number(new URL(consoleUrl).port);
    targetPort = Number((await waitFor(kept, /target on 127\.0\.0\.1:(\d+)/, 1000))[1]);
    const tokenFile = path.resolve(ROOT, (await waitFor(kept, /Token:\s+(\S+)/, 1000))[1]);
    expect(tokenFile).toBe(path.join(dir, "runner", "admin.token"));
    expect(kept.output()).toMatch(/Stop:\s+Ctrl-C .* removes /);
    token = fs.readFileSync(tokenFile, "utf8").trim();
    expect(kept.output()).not.toContain(token);

    const page = await fetch(consoleUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);

    const api = new RunnerClient({ url: consoleUrl.replace(/\/$/, ""), token });
    const rotations = await api.listRotations();
    expect(rotations.map((r) => r.name)).toEqual(["demo-rotation"]);
    expect(rotations[0]).toMatchObject({ rotationStatus: "success", connection: { name: "demo-target" } });
    expect(rotations[0].lastRotatedAt).toBeTruthy();

    // The target keeps running: the active credentials the runner holds log in.
    const creds = await api.generatedCredentials(rotations[0].id);
    const active = creds.generatedCredentials[creds.activeIndex];
    const c = new Client({ host: "127.0.0.1", port: targetPort, database: "app", user: active.username, password: active.password });
    await c.connect();
    try {
      expect((await c.query<{ one: number }>("SELECT 1 AS one")).rows[0].one).toBe(1);
    } finally {
      await c.end();
    }
    expect(processesUsing(dir).length).toBeGreaterThanOrEqual(2); // the target and the runner's store
  });

  test("When a second --keep demo starts on the same directory or port, then it exits 1 saying so and the first keeps running", async () => {
    expect(kept).toBeDefined();
    const sameDir = runDemo(["--keep", "--dir", dir, "--port", "0"]);
    expect(await within(sameDir.exited, 10000, "the second demo")).toBe(1);
    expect(sameDir.output()).toMatch(/a demo is already running in .* \(pid \d+; its console is at http/);

    const samePort = runDemo(["--keep", "--dir", path.join(base, "other"), "--port", String(runnerPort)]);
    expect(await within(samePort.exited, 10000, "the third demo")).toBe(1);
    expect(samePort.output()).toMatch(new RegExp(`port ${runnerPort} on 127\\.0\\.0\\.1 is in use`));
    expect(fs.existsSync(path.join(base, "other"))).toBe(false);

    expect((await fetch(consoleUrl)).status).toBe(200);
    expect(fs.existsSync(path.join(dir, "runner", "admin.token"))).toBe(true);
  });

  test("When Ctrl-C reaches the kept demo, then it exits 0 within 10 s with its ports closed, no PostgreSQL left running and its directory removed", async () => {
    expect(kept?.child.pid).toBeDefined();
    const demo = kept as Demo;
    process.kill(-(demo.child.pid as number), "SIGINT"); // as a terminal does: the whole foreground group
    expect(await within(demo.exited, 10000, "stopping on Ctrl-C")).toBe(0);
    expect(demo.output()).toMatch(/SIGINT: stopping the runner and the target database/);
    expect(demo.output()).toMatch(/Stopped; removed /);
    expect(await refused(runnerPort)).toBe(true);
    expect(await refused(targetPort)).toBe(true);
    expect(processesUsing(dir)).toEqual([]);
    expect(fs.existsSync(dir)).toBe(false);
    expect(demo.output()).not.toContain(token);
  });

  test("When a kept demo was killed outright, then the next --keep run on its directory stops the servers it left, clears it and starts afresh", async () => {
    const stale = path.join(base, "stale");
    const first = runDemo(["--keep", "--dir", stale, "--port", "0"]);
    await waitFor(first, /Console:\s+http/, 45000);
    const left = processesUsing(stale);
    expect(left.length).toBeGreaterThanOrEqual(2);
    process.kill(first.child.pid as number, "SIGKILL"); // the node process only: its servers keep running
    await within(first.exited, 10000, "the killed demo");

    const next = runDemo(["--keep", "--dir", stale, "--port", "0"]);
    await waitFor(next, /Console:\s+http/, 45000);
    expect(next.output()).toMatch(/Clearing .* left by an earlier demo that did not stop cleanly/);
    for (const pid of left) expect(processesUsing(stale)).not.toContain(pid);
    process.kill(-(next.child.pid as number), "SIGINT");
    expect(await within(next.exited, 10000, "stopping on Ctrl-C")).toBe(0);
    expect(processesUsing(stale)).toEqual([]);
    expect(fs.existsSync(stale)).toBe(false);
  });

  test("When given an unknown argument, then it prints the usage and exits 2 without starting anything", async () => {
    const bad = runDemo(["--keep", "--bogus"]);
    expect(await within(bad.exited, 10000, "the usage error")).toBe(2);
    expect(bad.output()).toMatch(/unknown argument "--bogus"/);
    expect(bad.output()).toMatch(/Usage: npm run demo \[-- --keep/);
    expect(bad.output()).not.toMatch(/Starting/);
  });
});
