import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import type { PairCheckReport } from "../../../provider/client";
import { contextOf } from "../context";
import { UsageError } from "../errors";
import { findConnection, findRotation } from "../resolve";

/** Exit code of a check that found differences: like a failed test, so scripts can stop on it. */
const NOT_INTERCHANGEABLE = 1;

/**
 * `pgrotate check <rotation>` (or `--connection <c> --users u1,u2` for a pair without a rotation): the pair
 * check — are the two users interchangeable (attributes, memberships, settings, privileges, policies, owned
 * objects)? Prints each difference and the SQL that removes it; exits 1 when they are not.
 * `pgrotate check --drift [rotation]`: do the stored passwords still log in (one rotation, or every one the token
 * sees)? Repairs drift as each rotation's driftRepair says; exits 1 when one stays drifted.
 */
export function registerCheck(program: CommandUnknownOpts): void {
  program
    .command("check")
    .description("the pair check: are a rotation's two users interchangeable? prints each difference and the SQL that removes it (exit 1 when not)")
    .argument("[rotation]", "name or id of a rotation")
    .option("--connection <name|id>", "check a pair on this app connection instead of a rotation's")
    .option("--users <u1,u2>", "with --connection: the two users")
    .option("--owner <role>", "with --connection: the group role their objects should belong to")
    .option("--drift", "instead: do the stored passwords still log in? repairs drift (the rotation's driftRepair); every rotation when none is named")
    .action(async (ref, opts, cmd) => {
      const ctx = contextOf(cmd);
      if (opts.drift) {
        if (opts.connection || opts.users) throw new UsageError("--drift checks rotations: give a rotation or none (every rotation)");
        const client = ctx.client();
        const ids = ref !== undefined ? [(await findRotation(ctx, ref)).id] : (await client.listRotations()).map((r) => r.id);
        const reports = [];
        for (const id of ids) {
          const { secretRotation, drift } = await client.checkDrift(id);
          reports.push({ rotation: secretRotation.name, ...drift });
        }
        ctx.out.result(reports, (rs) =>
          ctx.out.table(
            ["ROTATION", "RESULT", "USERS", "MESSAGE"],
            rs.map((r) => [r.rotation, r.result === "drifted" ? ctx.out.style(r.result, "danger") : r.result, r.users.map((u) => `${u.username}: ${u.state}${u.repaired ? " (repaired)" : ""}`).join(", "), r.message ?? ""]),
            "No rotations.",
          ),
        );
        if (reports.some((r) => r.result === "drifted" || r.result === "unreachable")) process.exitCode = NOT_INTERCHANGEABLE;
        return;
      }
      let report: PairCheckReport;
      if (ref !== undefined) {
        if (opts.connection || opts.users) throw new UsageError("give a rotation, or --connection with --users, not both");
        report = await ctx.client().rotationPairCheck((await findRotation(ctx, ref)).id);
      } else {
        const users = (opts.users ?? "").split(",").map((u) => u.trim());
        if (!opts.connection || users.length !== 2 || users.some((u) => !u)) {
          throw new UsageError("give a rotation (name or id), or --connection <name|id> --users u1,u2");
        }
        const conn = await findConnection(ctx, opts.connection);
        report = await ctx.client().pairCheck(conn.id, { username1: users[0], username2: users[1], owner: opts.owner });
      }
      const { out } = ctx;
      out.result(report, (r) => {
        out.fields([
          ["interchangeable", r.interchangeable ? out.style("yes", "info") : out.style("no", "danger")],
          ["database", r.database],
          ["group role", r.groupRole ?? "—"],
          ["differences", String(r.differences.length)],
        ]);
        if (!r.differences.length) return;
        out.line();
        out.table(["KIND", "OBJECT", "DETAIL"], r.differences.map((d) => [d.kind, d.object, d.detail]), "");
        out.line();
        out.line(out.style("-- Run as a superuser (or the objects' owner) on the target database, in this order:", "dim"));
        for (const d of r.differences) out.line(d.sql.trimEnd());
      });
      if (!report.interchangeable) process.exitCode = NOT_INTERCHANGEABLE;
    });
}
