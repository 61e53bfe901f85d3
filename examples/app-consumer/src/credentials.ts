/**
 * Where an app gets its database credentials. Two sources, one shape: a function that returns the
 * credentials that are active *now*. Call it at start and again whenever a login fails.
 */
import { execFile } from "node:child_process";

export interface Credentials {
  username: string;
  password: string;
}

export type CredentialSource = () => Promise<Credentials>;

export interface RunnerSourceOptions {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  /** A bearer token that may read the folder (ideally one scoped to it)… */
  token?: string;
  /** …or a machine identity (universal auth): the source logs in and renews its access token itself. */
  clientId?: string;
  clientSecret?: string;
  projectId?: string;
  environment?: string;
  secretPath?: string;
  /** The rotation's secretsMapping names. */
  usernameKey: string;
  passwordKey: string;
  timeoutMs?: number;
}

/**
 * Reads the mapped secrets from the runner's raw-secrets API (Infisical's shape). One list read returns the
 * username and the password of the same rotation state, never a mix of two.
 */
export function fromRunner(o: RunnerSourceOptions): CredentialSource {
  const origin = new URL(o.url).origin;
  const timeout = () => AbortSignal.timeout(o.timeoutMs ?? 10_000);
  let session: { token: string; renewAt: number } | undefined;

  /** Infisical's universal-auth login; the access token is renewed at 80% of its lifetime. */
  const bearer = async (fresh: boolean): Promise<string> => {
    if (o.token) return o.token;
    if (!o.clientId || !o.clientSecret) throw new Error("fromRunner needs token, or clientId and clientSecret");
    if (!fresh && session && Date.now() < session.renewAt) return session.token;
    const res = await request(new URL("/api/v1/auth/universal-auth/login", o.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ clientId: o.clientId, clientSecret: o.clientSecret }),
    });
    const { accessToken, expiresIn } = (await res.json()) as { accessToken: string; expiresIn: number };
    session = { token: accessToken, renewAt: Date.now() + expiresIn * 800 };
    return accessToken;
  };

  const request = async (url: URL, init: RequestInit, allow401 = false): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: timeout() });
    } catch (err) {
      throw new Error(`cannot reach pgrotate at ${origin}: ${(err as Error).message}`, { cause: err });
    }
    if (res.ok || (allow401 && res.status === 401)) return res;
    const body = (await res.json().catch(() => ({}))) as { message?: string };
    throw new Error(`pgrotate at ${origin} answered ${res.status}: ${body.message ?? res.statusText}`);
  };

  return async () => {
    const url = new URL("/api/v3/secrets/raw", o.url);
    url.searchParams.set("workspaceId", o.projectId ?? "default");
    url.searchParams.set("environment", o.environment ?? "dev");
    url.searchParams.set("secretPath", o.secretPath ?? "/");
    let res = await request(url, { headers: { authorization: `Bearer ${await bearer(false)}` } }, !o.token);
    // An access token that expired or was revoked: log in again, once.
    if (res.status === 401) res = await request(url, { headers: { authorization: `Bearer ${await bearer(true)}` } });
    const { secrets } = (await res.json()) as { secrets: Array<{ secretKey: string; secretValue: string }> };
    const value = (key: string) => {
      const s = secrets.find((x) => x.secretKey === key);
      if (!s) throw new Error(`pgrotate has no secret ${JSON.stringify(key)} in ${o.projectId ?? "default"}/${o.environment ?? "dev"}${o.secretPath ?? "/"}`);
      return s.secretValue;
    };
    return { username: value(o.usernameKey), password: value(o.passwordKey) };
  };
}

/**
 * Reads a Pulumi stack output (the rotation's `secrets`) with the Pulumi CLI:
 * `pulumi stack output <name> --json --show-secrets`. A stack output is what the runner had at the last
 * `pulumi up` / `pulumi refresh`; the runner keeps rotating on its own, so prefer fromRunner for a
 * long-running service.
 */
export function fromStackOutput(o: { stack?: string; cwd?: string; outputName?: string; usernameKey: string; passwordKey: string }): CredentialSource {
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
