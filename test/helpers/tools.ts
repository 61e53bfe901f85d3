/**
 * Tests that need a tool this machine may lack (systemd-analyze, kubectl, promtool): they run where it is installed
 * and are skipped elsewhere, saying so and how to install it, never silently.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

/** The tool's path on PATH, or undefined. */
export function findTool(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** `test` when the tool is installed; otherwise `test.skip`, after a warning naming the tool and how to get it. */
export function testWithTool(name: string, install: string): jest.It {
  if (findTool(name)) return test;
  console.warn(`${name} is not installed: its tests are skipped (${install}).`);
  return test.skip;
}

/** Runs a tool to its end: its exit code and both outputs (a tool may warn on stderr and still exit 0). */
export function runTool(file: string, args: string[], opts: { cwd?: string; input?: string } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(file, args, { cwd: opts.cwd, input: opts.input, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
