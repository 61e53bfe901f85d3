/** Exit codes and the one-line error report of the CLI. Never a stack trace, never a secret. */
import { RunnerApiError } from "../../provider/client";

export const EXIT = {
  ok: 0,
  /** The runner refused or failed (any answer 4xx/5xx), or the operator declined. */
  failed: 1,
  /** Bad command line, missing token or confirmation. */
  usage: 2,
  /** The runner could not be reached (no answer at all). */
  unreachable: 3,
} as const;

/** A mistake on the command line (exit 2). The message says what to do instead. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The operator answered no (exit 1, nothing was changed). */
export class Declined extends Error {
  override readonly name = "Declined";
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof RunnerApiError) return err.status === undefined ? EXIT.unreachable : EXIT.failed;
  return EXIT.failed;
}

const HINTS: Record<string, string> = {
  GracePeriod: "pass --force to rotate anyway",
  LeaseLost: "another runner finishes it; check with pgrotate rotations get",
  Unauthorized: "check --token / PGROTATE_TOKEN",
};

/** The lines written to stderr for an error: the runner's message, then the SQL a failed precheck asks for. */
export function errorLines(err: unknown): string[] {
  if (err instanceof RunnerApiError && err.status !== undefined) {
    const hint = err.code ? HINTS[err.code] : undefined;
    const lines = [`pgrotate: ${err.runnerMessage ?? err.message}${hint ? ` (${hint})` : ""}`];
    const sql = (err.details as { sql?: unknown } | undefined)?.sql;
    if (Array.isArray(sql) && sql.length) lines.push("Run as a superuser on the target:", ...sql.map((s) => `  ${String(s)}`));
    return lines;
  }
  return [`pgrotate: ${err instanceof Error ? err.message : String(err)}`];
}
