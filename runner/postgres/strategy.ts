/**
 * The target-side strategy for PostgreSQL (Infisical's strategy contract: issue / rotate / revoke),
 * on top of small primitives: set a password by verifier, prove a login, prove a login fails.
 */
import crypto from "node:crypto";
import type { Client } from "pg";
import { AppError } from "../errors";
import type { Scrubber } from "../logger";
import { precheckRotationUsers } from "./prechecks";
import { assertVerifierIsLiteralSafe, md5Verifier, scramSha256VerifierAsync } from "./scram";
import { type TargetConnection, tryLogin, withTarget } from "./target";
import { TargetPools } from "./target-pool";

export interface PostgresStrategy {
  /** SELECT 1 as the connection role. */
  testConnection(t: TargetConnection): Promise<void>;
  /** Both users exist and can log in; the connection role may change their passwords. */
  precheck(t: TargetConnection, usernames: string[]): Promise<void>;
  /**
   * Starts computing the password's SCRAM verifier now, off the event loop, so it is ready by the time the
   * caller's other work (e.g. storing the intent) is done. Pass the result to setPassword.
   */
  prepare(password: string): PreparedPassword;
  /** ALTER ROLE with a client-computed verifier: the plaintext never reaches the server. */
  setPassword(t: TargetConnection, username: string, password: string | PreparedPassword): Promise<void>;
  /** Logs in with the password and runs SELECT 1; throws RotationFailed when refused. */
  verifyLogin(t: TargetConnection, username: string, password: string): Promise<void>;
  /** Sets unknown random passwords on the users and proves the old ones no longer log in. */
  revoke(t: TargetConnection, users: Array<{ username: string; oldPassword: string }>): Promise<void>;
  /** Closes pooled target connections. */
  close(): Promise<void>;
}

/** A password whose SCRAM-SHA-256 verifier is being computed (see PostgresStrategy.prepare). */
export interface PreparedPassword {
  password: string;
  scram: Promise<string>;
}

export function preparePassword(password: string): PreparedPassword {
  const scram = scramSha256VerifierAsync(password);
  scram.catch(() => undefined); // unused (md5 target, or never set): its failure must not go unhandled
  return { password, scram };
}

export async function alterPassword(client: Pick<Client, "query" | "escapeIdentifier">, username: string, password: string | PreparedPassword, scrubber: Scrubber, enc: string): Promise<void> {
  const p = typeof password === "string" ? { password, scram: undefined } : password;
  const verifier = enc === "md5" ? md5Verifier(p.password, username) : await (p.scram ?? scramSha256VerifierAsync(p.password));
  assertVerifierIsLiteralSafe(verifier);
  scrubber.remember(verifier);
  await client.query(`ALTER ROLE ${client.escapeIdentifier(username)} WITH PASSWORD '${verifier}'`);
}

export function postgresStrategy(scrubber: Scrubber, opts: { maxConnectionsPerTarget?: number } = {}): PostgresStrategy {
  const pools = new TargetPools(opts.maxConnectionsPerTarget);
  return {
    async testConnection(t) {
      await withTarget(t, "validating the connection", (c) => c.query("SELECT 1"));
    },

    async precheck(t, usernames) {
      await withTarget(t, "checking the connection role's rights", (c) => precheckRotationUsers(c, usernames));
    },

    prepare: preparePassword,

    async setPassword(t, username, password) {
      await pools.with(t, `changing the password of ${JSON.stringify(username)}`, (c, enc) => alterPassword(c, username, password, scrubber, enc));
    },

    async verifyLogin(t, username, password) {
      if ((await tryLogin(t, username, password)) !== "ok") {
        throw new AppError("RotationFailed", `The new password of ${JSON.stringify(username)} did not log in`);
      }
    },

    async revoke(t, users) {
      await pools.with(t, "revoking the generated credentials", async (c, enc) => {
        for (const u of users) {
          const unknown = crypto.randomBytes(36).toString("base64url");
          await alterPassword(c, u.username, unknown, scrubber, enc);
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
