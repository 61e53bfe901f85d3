/** The built CLI (`npm start`) as a child process; tests stop every one they start. */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export const CLI = path.resolve(__dirname, "../../dist/runner/cli.js");

export interface RunnerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
}

export function startRunnerProcess(env: Record<string, string>, timeoutMs = 30000): Promise<RunnerProcess> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: npm test builds it first (pretest), or run npm run build`);
  const child = spawn(process.execPath, [CLI, "serve"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  return new Promise((resolve, reject) => {
    const done = () => {
      clearInterval(poll);
      clearTimeout(timer);
    };
    const timer = setTimeout(() => {
      done();
      child.kill("SIGKILL");
      reject(new Error(`no "listening on" line within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      const m = /listening on (http:\/\/[0-9.]+:\d+)/.exec(out);
      if (m) {
        done();
        resolve({ child, url: m[1], output: () => out });
      }
    }, 20);
    child.once("exit", (code) => {
      done();
      reject(new Error(`runner exited with ${code} before listening:\n${out}`));
    });
  });
}

/** SIGTERM (or the given signal) and wait for the exit code. */
export function stopRunnerProcess(p: RunnerProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve(p.child.exitCode);
    p.child.once("exit", (code) => resolve(code));
    p.child.kill(signal);
  });
}
