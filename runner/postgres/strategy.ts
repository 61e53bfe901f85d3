/**
 * The target-side strategy for PostgreSQL (Infisical's strategy contract: issue / rotate / revoke),
 * on top of small primitives: set a password by verifier, prove a login, prove a login fails.
 */
import crypto from "node:crypto";
import type { Client, ClientBase } from "pg";
import { AppError } from "../errors";
import type { Scrubber } from "../logger";
import { precheckRotationUsers } from "./prechecks";
import { assertVerifierIsLiteralSafe, md5Verifier, SCRAM_ITERATIONS, scramSha256VerifierAsync } from "./scram";
import { serverIdentity, type TargetConnection, tryLogin, withTarget } from "./target";
import { type PasswordSettings, TargetPools } from "./target-pool";

export interface PostgresStrategy {
  /** Logs in as the connection role and returns the server's identity (see target.ts serverIdentity). */
  identify(t: TargetConnection): Promise<string>;
  /** Both users exist and can log in; the connection role may change their passwords. Returns warnings (what works less well). */
  precheck(t: TargetConnection, usernames: string[]): Promise<string[]>;
  /**
   * Starts computing the password's SCRAM verifier now, off the event loop, so it is ready by the time the
   * caller's other work (e.g. storing the intent) is done. Pass the result to setPassword (which computes it again
   * if the server turns out to want another iteration count).
   */
  prepare(password: string): PreparedPassword;
  /** ALTER ROLE with a client-computed verifier: the plaintext never reaches the server. */
  setPassword(t: TargetConnection, username: string, password: string | PreparedPassword): Promise<void>;
  /** Logs in with the password and runs SELECT 1; throws RotationFailed when refused. */
  verifyLogin(t: TargetConnection, username: string, password: string): Promise<void>;
  /** Sets unknown random passwords on the users and proves the old ones no longer log in. */
  revoke(t: TargetConnection, users: Array<{ username: string; oldPassword: string }>): Promise<void>;
  /**
   * Runs read-only queries (catalog reads: the pair check, the server version) as the connection role on a
   * pooled connection, so they cost no fresh login. `fn` must leave the session as it found it.
   */
  inspect<T>(t: TargetConnection, doing: string, fn: (c: ClientBase) => Promise<T>): Promise<T>;
  /** Closes pooled target connections. */
  close(): Promise<void>;
}

/** A password whose SCRAM-SHA-256 verifier is being computed (see PostgresStrategy.prepare). */
export interface PreparedPassword {
  password: string;
  iterations: number;
  scram: Promise<string>;
}

export function preparePassword(password: string, iterations = SCRAM_ITERATIONS): PreparedPassword {
  const scram = scramSha256VerifierAsync(password, undefined, iterations);
  scram.catch(() => undefined); // unused (md5 target, another count, or never set): its failure must not go unhandled
  return { password, iterations, scram };
}

/**
 * ALTER ROLE with the verifier the server itself would store: md5 when its password_encryption is md5, else
 * SCRAM-SHA-256 with its scram_iterations (a server hardened to more iterations gets no weaker verifier from us).
 */
export async function alterPassword(
  client: Pick<Client, "query" | "escapeIdentifier">,
  username: string,
  password: string | PreparedPassword,
  scrubber: Scrubber,
  settings: PasswordSettings,
): Promise<void> {
  const p = typeof password === "string" ? { password, iterations: 0, scram: undefined } : password;
  const verifier =
    settings.encryption === "md5"
      ? md5Verifier(p.password, username)
      : p.scram && p.iterations === settings.scramIterations
        ? await p.scram
        : await scramSha256VerifierAsync(p.password, undefined, settings.scramIterations);
  assertVerifierIsLiteralSafe(verifier);
  scrubber.remember(verifier);
  await client.query(`ALTER ROLE ${client.escapeIdentifier(username)} WITH PASSWORD '${verifier}'`);
}

export function postgresStrategy(scrubber: Scrubber, opts: { maxConnectionsPerTarget?: number } = {}): PostgresStrategy {
  const pools = new TargetPools(opts.maxConnectionsPerTarget);
  return {
    identify(t) {
      return withTarget(t, "validating the connection", (c) => serverIdentity(c, t));
    },

    precheck(t, usernames) {
      return withTarget(t, "checking the connection role's rights", (c) => precheckRotationUsers(c, usernames));
    },

    prepare: (password) => preparePassword(password, pools.lastScramIterations),

    inspect: (t, doing, fn) => pools.with(t, doing, (c) => fn(c)),

    async setPassword(t, username, password) {
      await pools.with(t, `changing the password of ${JSON.stringify(username)}`, (c, settings) => alterPassword(c, username, password, scrubber, settings));
    },

    async verifyLogin(t, username, password) {
      if ((await tryLogin(t, username, password)) !== "ok") {
        throw new AppError("RotationFailed", `The new password of ${JSON.stringify(username)} did not log in`);
      }
    },

    async revoke(t, users) {
      await pools.with(t, "revoking the generated credentials", async (c, settings) => {
        for (const u of users) {
          const unknown = crypto.randomBytes(36).toString("base64url");
          await alterPassword(c, u.username, unknown, scrubber, settings);
        }
      });
      for (const u of users) {
        if ((await tryLogin(t, u.username, u.oldPassword)) !== "rejected") {
          throw new AppError("RotationFailed", `After revoking, the old password of ${JSON.stringify(u.username)} still logs in`);
        }
      }
    },

    close: () => pools.close(),
  };
}
