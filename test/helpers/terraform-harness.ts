/**
 * Runs the real `terraform` binary against the provider built in dist/, offline: a filesystem mirror in a
 * temp folder (the unpacked layout, linking bin/terraform-provider-pgrotate) and a CLI config naming it.
 * Commands run asynchronously (the runner under test lives in this jest worker) in their own process group,
 * which is killed on timeout so no provider process outlives a test.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const REPO_ROOT = path.resolve(__dirname, "../..");
export const PROVIDER_VERSION = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { version: string }).version;
const WRAPPER = path.join(REPO_ROOT, "bin", "terraform-provider-pgrotate");
const MAIN_JS = path.join(REPO_ROOT, "dist", "provider", "terraform", "main.js");

/** Fails (does not skip) with what to install when terraform or the build is missing. */
export function requireTerraform(): string {
  const res = spawnSync("terraform", ["version", "-json"], { encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1", TF_CLI_CONFIG_FILE: "/dev/null" } });
  if (res.error || res.status !== 0) {
    throw new Error(
      "The terraform suites need the `terraform` CLI (1.x, plugin protocol 6) on the PATH, and it was not found " +
        `(${res.error?.message ?? res.stderr}). Install it from https://developer.hashicorp.com/terraform/install ` +
        "(a single binary) and run the tests again.",
    );
  }
  if (!fs.existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run \`npm run build\` (npm test does it in pretest).`);
  return (JSON.parse(res.stdout) as { terraform_version: string }).terraform_version;
}

export function platform(): string {
  const arch = ({ x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" } as Record<string, string>)[process.arch] ?? process.arch;
  return `${process.platform}_${arch}`;
}

export interface TfResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr */
  output: string;
  ms: number;
}

export interface TfWorkspace {
  dir: string;
  root: string;
  env: NodeJS.ProcessEnv;
  write(mainTf: string, file?: string): void;
  run(args: string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<TfResult>;
  /** Runs and fails the test with the output when the exit code is not 0. */
  ok(args: string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<TfResult>;
  state(): any;
  cleanup(): void;
}

export const timings: Array<{ cmd: string; ms: number }> = [];

/**
 * A temp folder with a filesystem mirror of the provider, a CLI config using it, and a working directory.
 * `env` holds the runner URL and token for the provider (PGROTATE_URL / PGROTATE_TOKEN).
 */
export function createWorkspace(opts: { runnerUrl?: string; token?: string; mode?: "mirror" | "dev_overrides" } = {}): TfWorkspace {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "pgrotate-tf-"));
  const mirror = path.join(root, "mirror");
  const pluginDir = path.join(mirror, "registry.terraform.io", "pgrotate", "pgrotate", PROVIDER_VERSION, platform());
  fs.mkdirSync(pluginDir, { recursive: true });
  fs.symlinkSync(WRAPPER, path.join(pluginDir, `terraform-provider-pgrotate_v${PROVIDER_VERSION}`));
  const cliConfig = path.join(root, "cli.tfrc");
  const installation =
    opts.mode === "dev_overrides"
      ? `  dev_overrides {\n    "pgrotate/pgrotate" = ${JSON.stringify(path.dirname(WRAPPER))}\n  }\n  direct {}\n`
      : `  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/pgrotate/pgrotate"]\n  }\n`;
  fs.writeFileSync(cliConfig, `provider_installation {\n${installation}}\n`);
  const dir = path.join(root, "work");
  fs.mkdirSync(dir);
  // The developer's own TF_* settings (plugin cache, data dir, workspace, logging) must not leak in.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TF_") && !k.startsWith("PGROTATE_")));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    PGROTATE_URL: opts.runnerUrl ?? "",
    PGROTATE_TOKEN: opts.token ?? "",
  };
  const run: TfWorkspace["run"] = (args, o = {}) =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const child = spawn("terraform", [...args], { cwd: dir, env: { ...env, ...o.env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          /* already gone */
        }
      }, o.timeoutMs ?? 120_000);
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        const ms = Date.now() - started;
        timings.push({ cmd: args.slice(0, 2).join(" "), ms });
        resolve({ code: code ?? -1, stdout, stderr, output: stdout + stderr, ms });
      });
    });
  const ws: TfWorkspace = {
    dir,
    root,
    env,
    write: (text, file = "main.tf") => fs.writeFileSync(path.join(dir, file), text),
    run,
    async ok(args, o) {
      const res = await run(args, o);
      if (res.code !== 0) throw new Error(`terraform ${args.join(" ")} exited ${res.code}:\n${res.output}`);
      return res;
    },
    state: () => JSON.parse(fs.readFileSync(path.join(dir, "terraform.tfstate"), "utf8")),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
  return ws;
}

/** The required_providers block every configuration starts with. */
export const TERRAFORM_BLOCK = `terraform {
  required_providers {
    pgrotate = {
      source  = "pgrotate/pgrotate"
    }
  }
}
`;

/** A TCP port nothing listens on (bound and released). */
export async function unusedPort(): Promise<number> {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/** The values of one resource instance in terraform.tfstate. */
export function stateResource(state: any, type: string, name: string): { attributes: any; sensitive_attributes: any[] } | undefined {
  const r = (state.resources ?? []).find((x: { type: string; name: string; mode: string }) => x.type === type && x.name === name);
  return r?.instances?.[0];
}
