/** `npm start`: the built CLI on its embedded default store, as a new user runs it. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cluster } from "./helpers/pg";
import { startRunnerProcess as start, stopRunnerProcess as stop, type RunnerProcess as Started } from "./helpers/process";

describe("npm start on the embedded default store", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-start-"));
  const env = { PGROTATE_DATA_DIR: dataDir, PGROTATE_PORT: "0", PGROTATE_LOG_LEVEL: "info" };
  let running: Started | undefined;

  afterAll(async () => {
    if (running) await stop(running);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test("When started with no configuration, then /readyz answers 200 within seconds, the token and key are generated 0600, and SIGTERM stops it and its store", async () => {
    const t0 = Date.now();
    running = await start(env);
    const ready = await fetch(`${running.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(20000);
    for (const f of ["admin.token", "encryption.key"]) {
      expect(fs.statSync(path.join(dataDir, f)).mode & 0o777).toBe(0o600);
    }
    const token = fs.readFileSync(path.join(dataDir, "admin.token"), "utf8").trim();
    expect(running.output()).not.toContain(token);
    expect(await stop(running)).toBe(0);
    expect(fs.existsSync(path.join(dataDir, "pg", "postmaster.pid"))).toBe(false);
    running = undefined;
  });

  test("When the runner restarts, then what it stored is still there", async () => {
    running = await start(env);
    const token = fs.readFileSync(path.join(dataDir, "admin.token"), "utf8").trim();
    const c = cluster();
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const created = await fetch(`${running.url}/api/v1/app-connections/postgres`, {
      method: "POST",
      headers,
      body: JSON.stringify({ name: "survives-restart", method: "username-and-password", credentials: { host: c.host, port: c.port, database: "postgres", username: c.user, password: c.password } }),
    });
    expect(created.status).toBe(200);
    expect(await stop(running)).toBe(0);
    running = await start(env);
    const list = (await (await fetch(`${running.url}/api/v1/app-connections/postgres`, { headers })).json()) as { appConnections: Array<{ name: string }> };
    expect(list.appConnections.map((x) => x.name)).toEqual(["survives-restart"]);
    expect(running.output()).not.toContain(c.password);
    expect(await stop(running)).toBe(0);
    running = undefined;
  });

  test("When the configuration is invalid, then it exits 1 naming the variable without echoing secrets", async () => {
    const err = await start({ ...env, PGROTATE_PORT: "99999", PGROTATE_ADMIN_TOKEN: "short-secret-token" }).then(
      () => "started",
      (e: Error) => e.message,
    );
    expect(err).toMatch(/exited with 1/);
    expect(err).toMatch(/PGROTATE_PORT/);
    expect(err).toMatch(/PGROTATE_ADMIN_TOKEN must be at least 24 characters/);
    expect(err).not.toContain("short-secret-token");
  });
});
