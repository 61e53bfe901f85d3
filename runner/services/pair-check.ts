/**
 * The pair check through a stored connection (the same way the engine reaches a target: as the connection
 * role, the password opened in memory only, on the strategy's pooled connections). Read-only on the target.
 */
import type { Pool } from "pg";
import type { Sealer } from "../crypto/seal";
import { coerceError, notFound } from "../errors";
import type { Logger, Scrubber } from "../logger";
import { comparePair } from "../postgres/pair-check";
import { readPairFacts } from "../postgres/pair-facts";
import type { PostgresStrategy } from "../postgres/strategy";
import { openTarget, type TargetConnection } from "../postgres/target";
import type { PairCheckOutcome, PairCheckReport, ServerVersion } from "../responses";
import type { PairCheckInput } from "../schemas";
import { findConnection } from "../store/connections";
import type { RotationRecord } from "../store/rows";

/** Answers are the response schemas' types (runner/responses.ts), so the API reference cannot drift from them. */
export type { PairCheckOutcome, PairCheckReport };

/** How long creating a rotation waits for its pair check before answering without it. */
export const CREATE_PAIR_CHECK_MS = 5000;

export class PairCheckService {
  constructor(private readonly d: { pool: Pool; sealer: Sealer; scrubber: Scrubber; logger: Logger; strategy: Pick<PostgresStrategy, "inspect"> }) {}

  private async target(connectionId: string): Promise<TargetConnection> {
    const conn = await findConnection(this.d.pool, connectionId);
    if (!conn) throw notFound("App connection", connectionId);
    return openTarget(conn, this.d.sealer, this.d.scrubber);
  }

  /** Compares the two users on the connection's database. */
  async check(connectionId: string, input: PairCheckInput): Promise<PairCheckReport> {
    const t = await this.target(connectionId);
    const facts = await this.d.strategy.inspect(t, "checking that the two users are interchangeable", (c) => readPairFacts(c, [input.username1, input.username2]));
    return comparePair(facts, { owner: input.owner });
  }

  /** The pair check of a rotation's two users. */
  forRotation(r: RotationRecord): Promise<PairCheckReport> {
    return this.check(r.connectionId, { username1: r.username1, username2: r.username2 });
  }

  /**
   * The check that creating a rotation runs: its outcome, never an error (a difference is a warning, and a
   * check that fails or takes longer than CREATE_PAIR_CHECK_MS must not fail a create that succeeded).
   */
  async atCreate(r: RotationRecord): Promise<PairCheckOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the pair check did not finish within ${CREATE_PAIR_CHECK_MS} ms`)), CREATE_PAIR_CHECK_MS);
    });
    const check = this.forRotation(r);
    check.catch(() => undefined); // after a timeout its late failure is of no interest
    try {
      return await Promise.race([check, timeout]);
    } catch (err) {
      const message = this.d.scrubber.scrub(coerceError(err).message);
      this.d.logger.warn({ rotationId: r.id, reason: message }, "the pair check of a new rotation could not run");
      return { interchangeable: null, differences: [], error: `The pair check could not run: ${message}` };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The target's server version (for `pgrotate setup-sql --connection`). */
  async serverVersion(connectionId: string): Promise<ServerVersion> {
    const t = await this.target(connectionId);
    const row = await this.d.strategy.inspect(t, "reading the server version", async (c) =>
      (await c.query<{ v: string; n: number }>("SELECT current_setting('server_version') AS v, current_setting('server_version_num')::int AS n")).rows[0],
    );
    return { serverVersion: row.v, serverVersionNum: row.n, major: Math.floor(row.n / 10000) };
  }
}
