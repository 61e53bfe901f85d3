import { ZodError } from "zod";

/** Stable error codes: the `error` field of every error body. One vocabulary for the whole runner. */
export type ErrorCode =
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "Conflict"
  | "PayloadTooLarge"
  | "TooManyRequests"
  | "ValidationError"
  | "PrecheckFailed"
  | "GracePeriod"
  | "OutsideRotationWindow"
  | "ProjectFrozen"
  | "RetiringUserInUse"
  | "LeaseLost"
  | "TargetUnavailable"
  | "RotationFailed"
  | "StoreUnavailable"
  | "Internal";

/** The HTTP status of each error code (the API reference documents them from this table). */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  PayloadTooLarge: 413,
  TooManyRequests: 429,
  ValidationError: 422,
  PrecheckFailed: 422,
  GracePeriod: 409,
  OutsideRotationWindow: 409,
  ProjectFrozen: 409,
  RetiringUserInUse: 409,
  LeaseLost: 409,
  TargetUnavailable: 502,
  RotationFailed: 502,
  StoreUnavailable: 503,
  Internal: 500,
};

/** The one error type of pgrotate. `message` is safe to show: it never holds a secret. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details?: unknown;
  override readonly cause?: unknown;
  /** When a retry may succeed, in seconds: the answer's Retry-After header. */
  readonly retryAfterSeconds?: number;

  constructor(code: ErrorCode, message: string, opts: { details?: unknown; cause?: unknown; retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.statusCode = ERROR_STATUS[code];
    this.details = opts.details;
    this.cause = opts.cause;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

export interface ErrorBody {
  statusCode: number;
  error: ErrorCode;
  message: string;
  details?: unknown;
}

/** One failing field of a validation error. */
export interface FieldIssue {
  path: string;
  message: string;
}

export function zodIssues(err: ZodError): FieldIssue[] {
  return err.issues.map((i) => ({
    path: i.path.map(String).join(".") || "(body)",
    message: i.message,
  }));
}

export function fromZod(err: ZodError, what = "request"): AppError {
  const issues = zodIssues(err);
  const summary = issues
    .slice(0, 5)
    .map((i) => `${i.path}: ${i.message}`)
    .join("; ");
  return new AppError("ValidationError", `Invalid ${what}: ${summary}`, { details: issues });
}

/** Turns anything thrown into an Error without losing it (graphile-worker's coerceError). */
export function coerceError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new Error(typeof err === "string" ? err : `Non-error thrown: ${safeString(err)}`);
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

export const notFound = (what: string, id: string): AppError =>
  new AppError("NotFound", `${what} ${JSON.stringify(id)} was not found`);

/** How messages name a folder. */
export function folderLabel(f: { projectId: string; environment: string; secretPath: string }): string {
  return `project ${f.projectId}, environment ${f.environment}, path ${f.secretPath}`;
}
