/**
 * The CLI's kubectl-like behaviour: help without arguments, help that shows global options and examples, JSON
 * errors, completion, version, login profiles, `rotations wait` and `--watch`. The built CLI against a real runner.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCli, type CliRun } from "./helpers/cli";
import { startTestRunner, type TestRunner } from "./helpers/runner";

const json = (r: CliRun): any => JSON.parse(r.stdout);

describe("pgrotate CLI, kubectl-like", () => {
  let t: TestRunner;
  let work: string;
  let env: Record<string, string | undefined>;
  const runs: CliRun[] = [];
  const cli = async (args: string[], o: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {}) => {
    const r = await runCli(args, { env: { ...env, ...o.env }, input: o.input, timeoutMs: o.timeoutMs });
    runs.push(r);
    return r;
  };

  beforeAll(async () => {
    t = await startTestRunner();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-kubectl-"));
    // No token file, no profile: each test says which it uses.
    env = { PGROTATE_URL: t.runner.url, PGROTATE_TOKEN: t.runner.adminToken, PGROTATE_DATA_DIR: path.join(work, "data"), XDG_CONFIG_HOME: path.join(work, "config"), NO_COLOR: "1" };
  });
  afterAll(async () => {
    await t?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test("pgrotate without arguments prints the help and exits 0 without starting a runner", async () => {
    const r = await cli([], { env: { PGROTATE_PORT: "0" }, timeoutMs: 10_000 });
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(r.stdout).toMatch(/^Usage: pgrotate \[options\] \[command\]/);
    expect(r.stdout).toMatch(/^\s+serve\s+start the runner/m);
    expect(r.stdout).not.toMatch(/listening on/);
  });
});
