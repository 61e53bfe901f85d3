/**
 * Credentials from a Pulumi stack output (the rotation's `secrets`), for createRotatingPool's `credentials`
 * option: `pulumi stack output <name> --json --show-secrets`. A stack output is what the runner had at the last
 * `pulumi up` / `pulumi refresh`; the runner keeps rotating on its own, so a long-running service should read
 * from the runner (the default in src/index.ts) and use this for jobs and bootstrapping.
 */
import { execFile } from "node:child_process";

export interface Credentials {
  username: string;
  password: string;
}

export function fromStackOutput(o: { stack?: string; cwd?: string; outputName?: string; usernameKey: string; passwordKey: string }): () => Promise<Credentials> {
  return () =>
    new Promise((resolve, reject) => {
      const args = ["stack", "output", o.outputName ?? "secrets", "--json", "--show-secrets", ...(o.stack ? ["--stack", o.stack] : [])];
      execFile("pulumi", args, { cwd: o.cwd, maxBuffer: 1 << 20 }, (err, stdout) => {
        if (err) return reject(new Error(`pulumi stack output failed: ${err.message.split("\n")[0]}`));
        try {
          const out = JSON.parse(stdout) as Record<string, string>;
          resolve({ username: out[o.usernameKey], password: out[o.passwordKey] });
        } catch {
          reject(new Error("pulumi stack output did not print JSON"));
        }
      });
    });
}
