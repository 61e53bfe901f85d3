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
  /** `rotations wait` gave up: the rotation was still in flight at --timeout. */
  timeout: 4,
} as const;

/** What each exit code means (the root's help and the "meaning" of a --json error). */
export const EXIT_MEANINGS: ReadonlyArray<readonly [number, string]> = [
  [EXIT.ok, "success"],
  [EXIT.failed, "the runner refused or failed the request, a check found a problem (check, status), or the operator declined"],
  [EXIT.usage, "bad command line, or a missing token or confirmation (--yes)"],
  [EXIT.unreachable, "the runner could not be reached (no answer at all)"],
  [EXIT.timeout, "rotations wait: the rotation was still in flight at --timeout"],
];

/** A mistake on the command line (exit 2). The message says what to do instead. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The operator answered no (exit 1, nothing was changed). */
export class Declined extends Error {
  override readonly name = "Declined";
}

/** `rotations wait` ran out of time (exit 4). */
export class TimedOut extends Error {
  override readonly name = "TimedOut";
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  if (err instanceof TimedOut) return EXIT.timeout;
  if (err instanceof RunnerApiError) return err.status === undefined ? EXIT.unreachable : EXIT.failed;
  return EXIT.failed;
}

const HINTS: Record<string, string> = {
  GracePeriod: "pass --force to rotate anyway",
  OutsideRotationWindow: "wait for the window to open, or pass --force to rotate anyway",
  ProjectFrozen: "unfreeze the project (pgrotate projects unfreeze), or pass --force to rotate anyway",
  LeaseLost: "another runner finishes it; check with pgrotate rotations get",
  Unauthorized: "check --token / PGROTATE_TOKEN",
};

/** An error as --json reports it on stderr: the code scripts branch on, the message people read, the exit code. */
export interface ErrorReport {
  /** The runner's error code (e.g. "NotFound", "GracePeriod", "Unauthorized"), or "UsageError", "Unreachable", "Declined", "Error". */
  error: string;
  message: string;
  exitCode: number;
  /** What the exit code means (EXIT_MEANINGS). */
  meaning: string;
  /** The SQL a failed precheck asks a superuser to run, when there is some. */
  sql?: string[];
}

export const meaningOf = (exitCode: number): string => EXIT_MEANINGS.find(([c]) => c === exitCode)?.[1] ?? "failure";

function codeOf(err: unknown): string {
  if (err instanceof UsageError) return "UsageError";
  if (err instanceof Declined) return "Declined";
  if (err instanceof TimedOut) return "Timeout";
  if (err instanceof RunnerApiError) return err.status === undefined ? "Unreachable" : (err.code ?? `Http${err.status}`);
  return "Error";
}

export function errorReport(err: unknown): ErrorReport {
  const exitCode = exitCodeOf(err);
  const report: ErrorReport = { error: codeOf(err), message: messageOf(err), exitCode, meaning: meaningOf(exitCode) };
  const sql = err instanceof RunnerApiError && err.status !== undefined ? (err.details as { sql?: unknown } | undefined)?.sql : undefined;
  if (Array.isArray(sql) && sql.length) report.sql = sql.map(String);
  return report;
}

function messageOf(err: unknown): string {
  if (err instanceof RunnerApiError && err.status !== undefined) {
    const hint = err.code ? HINTS[err.code] : undefined;
    return `${err.runnerMessage ?? err.message}${hint ? ` (${hint})` : ""}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The lines written to stderr for an error: the runner's message, then the SQL a failed precheck asks for. */
export function errorLines(err: unknown): string[] {
  const r = errorReport(err);
  return [`pgrotate: ${r.message}`, ...(r.sql ? ["Run as a superuser on the target:", ...r.sql.map((s) => `  ${s}`)] : [])];
}
