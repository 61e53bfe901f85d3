/**
 * The Add Secret Rotation wizard as data: one set of values, one schema (the runner's own), a step list, and
 * the mapping from a field's path to its step — so Next validates only the current step and an error from the
 * runner lands on the step and field it names.
 */
import type { ZodType } from "zod";
import type { ApiRotation, CreateRotationBody, UpdateRotationBody } from "../../../../provider/client";
import { RunnerApiError } from "../../../../provider/client";
import { createRotationSchema, DEFAULT_MAX_HOLD_HOURS, updateRotationSchema } from "../../../../runner/schemas";
import { errorText } from "../../api";
import { fieldErrors, type Issue, validationIssues } from "../../common/issues";
import { browserTimeZone, formatTimeOfDay, parseTimeOfDay } from "../../common/time";

export const STEPS = ["Configuration", "Parameters", "Mappings", "Details", "Review"] as const;
export const REVIEW = STEPS.length - 1;
export type Mode = "create" | "edit";

export interface WizardValues {
  connectionId: string;
  projectId: string;
  environment: string;
  secretPath: string;
  rotationInterval: string;
  /** "HH:MM", local to timeZone. */
  rotateAt: string;
  timeZone: string;
  isAutoRotationEnabled: boolean;
  username1: string;
  username2: string;
  /** Custom password requirements (off: 48 letters and digits). */
  requirements: boolean;
  length: string;
  digits: string;
  lowercase: string;
  uppercase: string;
  symbols: string;
  allowedSymbols: string;
  secretUsername: string;
  secretPassword: string;
  name: string;
  description: string;
  /** Retirement hold: the longest a scheduled rotation waits while someone still uses the user it would change (0 = never). */
  maxHoldHours: string;
}

/** Infisical's defaults for a new PostgreSQL Credentials rotation. */
export function newValues(folder: { projectId: string; environment: string; secretPath: string }): WizardValues {
  return {
    connectionId: "",
    projectId: folder.projectId,
    environment: folder.environment || "dev",
    secretPath: folder.secretPath || "/",
    rotationInterval: "30",
    rotateAt: "00:00",
    timeZone: browserTimeZone(),
    isAutoRotationEnabled: true,
    username1: "",
    username2: "",
    requirements: false,
    length: "48",
    digits: "0",
    lowercase: "0",
    uppercase: "0",
    symbols: "0",
    allowedSymbols: "-_.~!*",
    secretUsername: "POSTGRES_DB_USERNAME",
    secretPassword: "POSTGRES_DB_PASSWORD",
    name: "",
    description: "",
    maxHoldHours: String(DEFAULT_MAX_HOLD_HOURS),
  };
}

/** An existing rotation as wizard values (Edit). */
export function valuesOf(r: ApiRotation): WizardValues {
  const pr = r.parameters.passwordRequirements;
  return {
    ...newValues({ projectId: r.projectId, environment: r.environment.slug, secretPath: r.folder.path }),
    connectionId: r.connectionId,
    rotationInterval: String(r.rotationInterval),
    rotateAt: formatTimeOfDay(r.rotateAt),
    timeZone: r.timeZone,
    isAutoRotationEnabled: r.isAutoRotationEnabled,
    username1: r.parameters.username1,
    username2: r.parameters.username2,
    ...(pr
      ? {
          requirements: true,
          length: String(pr.length),
          digits: String(pr.required.digits),
          lowercase: String(pr.required.lowercase),
          uppercase: String(pr.required.uppercase),
          symbols: String(pr.required.symbols),
          allowedSymbols: pr.allowedSymbols ?? "",
        }
      : {}),
    secretUsername: r.secretsMapping.username,
    secretPassword: r.secretsMapping.password,
    name: r.name,
    description: r.description ?? "",
    maxHoldHours: String(r.maxHoldHours),
  };
}

/** "" is not a number: the schema then says what is wrong, in its own words. */
const num = (s: string): number => (s.trim() === "" ? NaN : Number(s));

function requirementsOf(v: WizardValues) {
  return {
    length: num(v.length),
    required: { digits: num(v.digits), lowercase: num(v.lowercase), uppercase: num(v.uppercase), symbols: num(v.symbols) },
    ...(v.allowedSymbols ? { allowedSymbols: v.allowedSymbols } : {}),
  };
}

type Requirements = ReturnType<typeof requirementsOf>;
const sameRequirements = (a: Requirements | null, b: Partial<Requirements> | null | undefined): boolean =>
  a === null || !b
    ? a === (b ?? null)
    : a.length === b.length &&
      (["digits", "lowercase", "uppercase", "symbols"] as const).every((k) => a.required[k] === b.required?.[k]) &&
      (a.allowedSymbols ?? null) === (b.allowedSymbols ?? null);

const timeOfDay = (v: WizardValues) => parseTimeOfDay(v.rotateAt) ?? { hours: NaN, minutes: NaN };

export function createBody(v: WizardValues): CreateRotationBody {
  return {
    name: v.name.trim(),
    description: v.description.trim() || undefined,
    connectionId: v.connectionId,
    projectId: v.projectId,
    environment: v.environment.trim(),
    secretPath: v.secretPath.trim(),
    isAutoRotationEnabled: v.isAutoRotationEnabled,
    rotationInterval: num(v.rotationInterval),
    rotateAt: timeOfDay(v),
    timeZone: v.timeZone,
    parameters: { username1: v.username1, username2: v.username2, ...(v.requirements ? { passwordRequirements: requirementsOf(v) } : {}) },
    secretsMapping: { username: v.secretUsername.trim(), password: v.secretPassword.trim() },
    maxHoldHours: num(v.maxHoldHours),
  };
}

/** Only what changed (so an edit of the description does not restate the schedule of an IaC-declared rotation). */
export function updateBody(v: WizardValues, r: ApiRotation): UpdateRotationBody {
  const was = valuesOf(r);
  const body: UpdateRotationBody = {};
  if (v.name.trim() !== r.name) body.name = v.name.trim();
  const description = v.description.trim() || null;
  if (description !== (r.description ?? null)) body.description = description;
  if (v.maxHoldHours.trim() !== String(r.maxHoldHours)) body.maxHoldHours = num(v.maxHoldHours);
  if (v.isAutoRotationEnabled !== r.isAutoRotationEnabled) body.isAutoRotationEnabled = v.isAutoRotationEnabled;
  if (v.rotationInterval.trim() !== was.rotationInterval) body.rotationInterval = num(v.rotationInterval);
  if (v.rotateAt !== was.rotateAt || v.timeZone !== was.timeZone) {
    body.rotateAt = timeOfDay(v);
    body.timeZone = v.timeZone;
  }
  const requirements = v.requirements ? requirementsOf(v) : null;
  if (!sameRequirements(requirements, r.parameters.passwordRequirements)) body.parameters = { passwordRequirements: requirements };
  if (v.secretUsername.trim() !== r.secretsMapping.username || v.secretPassword.trim() !== r.secretsMapping.password) {
    body.secretsMapping = { username: v.secretUsername.trim(), password: v.secretPassword.trim() };
  }
  return body;
}

const CONFIGURATION = ["connectionId", "projectId", "environment", "secretPath", "rotationInterval", "rotateAt", "rotateAtUtc", "timeZone", "isAutoRotationEnabled"];

/** The step a field (or a runner error's path) belongs to; anything unknown is shown on Review. */
export function stepOf(path: string): number {
  const head = path.split(".")[0];
  if (head === "parameters") return 1;
  if (head === "secretsMapping") return 2;
  if (head === "name" || head === "description" || head === "maxHoldHours") return 3;
  if (CONFIGURATION.includes(head)) return 0;
  return REVIEW;
}

/** The labels of the fields, to say which one is wrong in the words on the screen. */
export const LABELS: Record<string, string> = {
  connectionId: "PostgreSQL Connection",
  environment: "Environment",
  secretPath: "Secret Path",
  rotationInterval: "Rotation Interval",
  rotateAt: "Rotate At",
  timeZone: "Time Zone",
  "parameters.username1": "Database Username 1",
  "parameters.username2": "Database Username 2",
  "parameters.passwordRequirements.length": "Password Length",
  "parameters.passwordRequirements.required": "Required characters",
  "parameters.passwordRequirements.allowedSymbols": "Allowed Symbols",
  "secretsMapping.username": "Username",
  "secretsMapping.password": "Password",
  name: "Name",
  description: "Description",
  maxHoldHours: "Max Hold (hours)",
};

/** The field an error path is shown on (rotateAt.hours -> rotateAt; passwordRequirements.required.digits -> …required). */
function fieldOf(path: string): string {
  if (path.startsWith("rotateAt")) return "rotateAt";
  const known = Object.keys(LABELS).filter((k) => path === k || path.startsWith(`${k}.`)).sort((a, b) => b.length - a.length)[0];
  return known ?? path;
}

/** A schema message with the API's field name replaced by the label on the screen. */
function humanize(field: string, message: string): string {
  if (field === "connectionId") return "Select a PostgreSQL connection (or add one)";
  if (field === "rotateAt" && /number|NaN|expected/i.test(message)) return "Enter a time of day, e.g. 03:00";
  const label = LABELS[field];
  if (!label) return message;
  const last = field.split(".").pop()!;
  if (message.startsWith(field)) return label + message.slice(field.length);
  if (message.startsWith(last)) return label + message.slice(last.length);
  return message;
}

export type FieldErrors = Record<string, string>;

function toFieldErrors(issues: Issue[]): FieldErrors {
  const byField = issues.map((i) => {
    const path = typeof i.path === "string" ? i.path : i.path.map(String).join(".");
    const field = fieldOf(path);
    return { path: field, message: humanize(field, i.message) };
  });
  return fieldErrors(byField);
}

/** Validates with the runner's schema; returns the errors of the given steps only (all steps: undefined). */
export function validate(v: WizardValues, mode: Mode, original?: ApiRotation, steps?: number[]): FieldErrors {
  const schema: ZodType = mode === "create" ? createRotationSchema : updateRotationSchema;
  const body = mode === "create" || !original ? createBody(v) : updateBody(v, original);
  const result = schema.safeParse(body);
  const issues: Issue[] = result.success ? [] : [...result.error.issues];
  if (!parseTimeOfDay(v.rotateAt)) issues.push({ path: "rotateAt", message: "Enter a time of day, e.g. 03:00" });
  const errors = toFieldErrors(issues);
  return Object.fromEntries(Object.entries(errors).filter(([path]) => !steps || steps.includes(stepOf(path))));
}

export const firstStepWithError = (errors: FieldErrors): number => Math.min(REVIEW, ...Object.keys(errors).map(stepOf));

/** A refused create or save, placed where the person can fix it. */
export interface SubmitFailure {
  step: number;
  errors: FieldErrors;
  /** Shown on the step itself (a precheck: the runner's message and the SQL to run). */
  stepMessage?: { text: string; sql?: string[] };
}

export function submitFailure(err: unknown, v: WizardValues): SubmitFailure {
  const issues = validationIssues(err);
  if (issues) {
    const errors = toFieldErrors(issues);
    return { step: firstStepWithError(errors), errors };
  }
  const text = errorText(err);
  if (err instanceof RunnerApiError && err.code === "PrecheckFailed") {
    const sql = (err.details as { sql?: unknown } | undefined)?.sql;
    return { step: 1, errors: {}, stepMessage: { text, sql: Array.isArray(sql) ? sql.map(String) : [] } };
  }
  if (err instanceof RunnerApiError && err.code === "Conflict") {
    const details = err.details as { taken?: unknown; username?: unknown } | undefined;
    if (Array.isArray(details?.taken)) {
      const errors: FieldErrors = {};
      if (details.taken.includes(v.secretUsername.trim())) errors["secretsMapping.username"] = text;
      if (details.taken.includes(v.secretPassword.trim())) errors["secretsMapping.password"] = text;
      return { step: 2, errors };
    }
    if (typeof details?.username === "string") {
      // The user already belongs to another rotation on the same server.
      return { step: 1, errors: { [details.username === v.username2 ? "parameters.username2" : "parameters.username1"]: text } };
    }
    return { step: 3, errors: { name: text } };
  }
  if (err instanceof RunnerApiError && (err.code === "NotFound" || err.code === "Forbidden") && /App connection/.test(text)) {
    return { step: 0, errors: { connectionId: text } };
  }
  return { step: REVIEW, errors: {}, stepMessage: { text } };
}
