/** Runs the built CLI (dist/runner/cli.js) as a child process, with pipes or on a pseudo-terminal. */
import { spawn } from "node:child_process";
import { CLI } from "./process";

export interface CliRun {
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The test's environment without any PGROTATE_* or colour setting (each run says what it sets). */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("PGROTATE_") && k !== "NO_COLOR" && k !== "FORCE_COLOR") env[k] = v;
  return env;
}

const withEnv = (extra: Record<string, string | undefined>) => {
  const env = baseEnv();
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  else env[k] = v;
  return env;
};

/** One run with pipes (no terminal): `input` is written to stdin, which is then closed. */
export function runCli(args: string[], opts: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, [CLI, ...args], { env: withEnv(opts.env ?? {}), stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.end(opts.input ?? "");
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`pgrotate ${args.join(" ")} did not finish within ${opts.timeoutMs ?? 30000} ms\n${stdout}\n${stderr}`));
    }, opts.timeoutMs ?? 30000);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ args, code, stdout, stderr });
    });
  });
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * One run on a pseudo-terminal (util-linux `script`): each answer is typed once its prompt shows. The
 * transcript is what the terminal showed (stdout and stderr together).
 */
export function runCliOnTerminal(
  args: string[],
  opts: { env?: Record<string, string | undefined>; answers: Array<{ after: RegExp; type: string }>; timeoutMs?: number },
): Promise<{ code: number | null; transcript: string }> {
  const command = [process.execPath, CLI, ...args].map(shellQuote).join(" ");
  const child = spawn("script", ["-qefc", command, "/dev/null"], { env: withEnv({ ...opts.env, SHELL: "/bin/sh" }), stdio: ["pipe", "pipe", "pipe"] });
  let transcript = "";
  const pending = [...opts.answers];
  let from = 0; // each prompt is looked for after the previous answer
  const onData = (d: Buffer) => {
    transcript += d.toString("utf8");
    while (pending.length && pending[0].after.test(transcript.slice(from))) {
      child.stdin.write(pending.shift()!.type);
      from = transcript.length;
    }
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  return new Promise((resolve, reject) => {
    child.once("error", reject); // no `script` on this machine
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`pgrotate ${args.join(" ")} on a terminal did not finish within ${opts.timeoutMs ?? 30000} ms:\n${transcript}`));
    }, opts.timeoutMs ?? 30000);
    child.once("close", (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, transcript });
    });
  });
}
