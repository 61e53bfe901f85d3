/**
 * The Add Secret Rotation wizard as data: one set of values (named as in the request body), one schema (derived
 * from the runner's own), a step list with each step's fields — so Next validates only the current step, and an
 * error from the runner lands on the step and field it names. A new field: register it by name in its step's
 * component and add that name to the step's `fields` here.
 */
import type { ApiRotation, CreateRotationBody, RotationWindowBody, UpdateRotationBody } from "../../../../provider/client";
import { RunnerApiError } from "../../../../provider/client";
import { createRotationSchema, DEFAULT_MAX_HOLD_HOURS, updateRotationSchema } from "../../../../runner/schemas";
import { errorText } from "../../api";
import { bodySchema, namesFields, type Place } from "../../common/form";
import { pathOf, validationIssues } from "../../common/issues";
import { browserTimeZone, formatTimeOfDay, parseTimeOfDay } from "../../common/time";
import { sameWindow } from "./RotationWindowField";

/**
 * The Rotation Window's fields by name: react-hook-form keeps the errors of a name it validates only when they are
 * a field's own (a message) or a list's, so the step names the window's parts, not the window.
 */
const WINDOW_FIELDS = ["rotationWindow.weekdays", "rotationWindow.startTime", "rotationWindow.endTime", "rotationWindow.blackouts"];

/** The steps, each with the names of its fields (a name covers the fields under it: "parameters" holds parameters.username1). */
export const STEPS = [
  { title: "Configuration", fields: ["connectionId", "projectId", "environment", "secretPath", "rotationInterval", "rotateAt", "rotateAtUtc", "timeZone", "isAutoRotationEnabled", ...WINDOW_FIELDS] },
  { title: "Parameters", fields: ["parameters"] },
  { title: "Mappings", fields: ["secretsMapping"] },
  { title: "Details", fields: ["name", "description", "maxHoldHours"] },
  { title: "Review", fields: [] },
] as const;
export const REVIEW = STEPS.length - 1;
export type Mode = "create" | "edit";

/** The wizard's values: the request body's names, numbers as numbers (NaN when a number field is empty). */
export interface WizardValues {
  connectionId: string;
  projectId: string;
  environment: string;
  secretPath: string;
  rotationInterval: number;
  /** "HH:MM", local to timeZone. */
  rotateAt: string;
  timeZone: string;
  isAutoRotationEnabled: boolean;
  /** When it may rotate (RotationWindowField); null = any time. */
  rotationWindow: RotationWindowBody | null;
  parameters: {
    username1: string;
    username2: string;
    passwordRequirements: { length: number; required: { digits: number; lowercase: number; uppercase: number; symbols: number }; allowedSymbols: string };
  };
  /** Custom password requirements (off: 48 letters and digits). */
  requirements: boolean;
  secretsMapping: { username: string; password: string };
  name: string;
  description: string;
  /** Retirement hold: the longest a scheduled rotation waits while someone still uses the user it would change (0 = never). */
  maxHoldHours: number;
}

/** Infisical's defaults for a new PostgreSQL Credentials rotation. */
export function newValues(folder: { projectId: string; environment: string; secretPath: string }): WizardValues {
  return {
    connectionId: "",
    projectId: folder.projectId,
    environment: folder.environment || "dev",
    secretPath: folder.secretPath || "/",
    rotationInterval: 30,
    rotateAt: "00:00",
    timeZone: browserTimeZone(),
    isAutoRotationEnabled: true,
    rotationWindow: null,
    parameters: { username1: "", username2: "", passwordRequirements: { length: 48, required: { digits: 0, lowercase: 0, uppercase: 0, symbols: 0 }, allowedSymbols: "-_.~!*" } },
    requirements: false,
    secretsMapping: { username: "POSTGRES_DB_USERNAME", password: "POSTGRES_DB_PASSWORD" },
    name: "",
    description: "",
    maxHoldHours: DEFAULT_MAX_HOLD_HOURS,
  };
}

/** An existing rotation as wizard values (Edit). */
export function valuesOf(r: ApiRotation): WizardValues {
  const pr = r.parameters.passwordRequirements;
  const defaults = newValues({ projectId: r.projectId, environment: r.environment.slug, secretPath: r.folder.path });
  return {
    ...defaults,
    connectionId: r.connectionId,
    rotationInterval: r.rotationInterval,
    rotateAt: formatTimeOfDay(r.rotateAt),
    timeZone: r.timeZone,
    isAutoRotationEnabled: r.isAutoRotationEnabled,
    rotationWindow: r.rotationWindow ?? null,
    parameters: {
      username1: r.parameters.username1,
      username2: r.parameters.username2,
      passwordRequirements: pr ? { length: pr.length, required: { ...pr.required }, allowedSymbols: pr.allowedSymbols ?? "" } : defaults.parameters.passwordRequirements,
    },
    requirements: !!pr,
    secretsMapping: { ...r.secretsMapping },
    name: r.name,
    description: r.description ?? "",
    maxHoldHours: r.maxHoldHours,
  };
}

function requirementsOf(v: WizardValues) {
  const r = v.parameters.passwordRequirements;
  return { length: r.length, required: { ...r.required }, ...(r.allowedSymbols ? { allowedSymbols: r.allowedSymbols } : {}) };
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
    rotationInterval: v.rotationInterval,
    rotateAt: timeOfDay(v),
    timeZone: v.timeZone,
    ...(v.rotationWindow ? { rotationWindow: v.rotationWindow } : {}),
    parameters: { ...names(v), ...(v.requirements ? { passwordRequirements: requirementsOf(v) } : {}) },
    secretsMapping: mapping(v),
    maxHoldHours: v.maxHoldHours,
  };
}

const names = (v: WizardValues) => ({ username1: v.parameters.username1, username2: v.parameters.username2 });
const mapping = (v: WizardValues) => ({ username: v.secretsMapping.username.trim(), password: v.secretsMapping.password.trim() });

/** Only what changed (so an edit of the description does not restate the schedule of an IaC-declared rotation). */
export function updateBody(v: WizardValues, r: ApiRotation): UpdateRotationBody {
  const was = valuesOf(r);
  const body: UpdateRotationBody = {};
  if (v.name.trim() !== r.name) body.name = v.name.trim();
  const description = v.description.trim() || null;
  if (description !== (r.description ?? null)) body.description = description;
  if (v.maxHoldHours !== r.maxHoldHours) body.maxHoldHours = v.maxHoldHours;
  if (v.isAutoRotationEnabled !== r.isAutoRotationEnabled) body.isAutoRotationEnabled = v.isAutoRotationEnabled;
  if (v.rotationInterval !== r.rotationInterval) body.rotationInterval = v.rotationInterval;
  if (v.rotateAt !== was.rotateAt || v.timeZone !== was.timeZone) {
    body.rotateAt = timeOfDay(v);
    body.timeZone = v.timeZone;
  }
  if (!sameWindow(v.rotationWindow, r.rotationWindow)) body.rotationWindow = v.rotationWindow;
  const requirements = v.requirements ? requirementsOf(v) : null;
  if (!sameRequirements(requirements, r.parameters.passwordRequirements)) body.parameters = { passwordRequirements: requirements };
  const m = mapping(v);
  if (m.username !== r.secretsMapping.username || m.password !== r.secretsMapping.password) body.secretsMapping = m;
  return body;
}

/** The step a field (or a runner error's path) belongs to; anything unknown is shown on Review. */
function stepOf(path: string): number {
  const step = STEPS.findIndex((s) => (s.fields as readonly string[]).some((f) => path === f || path.startsWith(`${f}.`)));
  return step < 0 ? REVIEW : step;
}

/** The field an issue is shown on, in the wizard's words where the runner's would not help. */
const place: Place = ({ path, message }) => {
  if (path.startsWith("connectionId")) return { path: "connectionId", message: "Select a PostgreSQL connection (or add one)" };
  if (path.startsWith("rotateAt")) return { path: "rotateAt", message: /number|NaN|expected/i.test(message) ? "Enter a time of day, e.g. 03:00" : message };
  return { path, message };
};

/** The wizard's schema: the runner's create (or, editing, update) schema applied to the body the values make. */
export const wizardSchema = (mode: Mode, original?: ApiRotation) =>
  mode === "create" || !original ? bodySchema(createRotationSchema, createBody, place) : bodySchema(updateRotationSchema, (v: WizardValues) => updateBody(v, original), place);

export const firstStepWithError = (paths: string[]): number => Math.min(REVIEW, ...paths.map(stepOf));

/** A refused create or save, placed where the person can fix it: field errors, or a message on a step. */
export interface SubmitFailure {
  step: number;
  errors: Array<{ path: string; message: string }>;
  /** Shown on the step itself (a precheck: the runner's message and the SQL to run). */
  stepMessage?: { text: string; sql?: string[] };
}

export function submitFailure(err: unknown, v: WizardValues): SubmitFailure {
  if (namesFields(err)) {
    const errors = validationIssues(err)!.map((i) => place({ path: pathOf(i.path), message: i.message }));
    return { step: firstStepWithError(errors.map((e) => e.path)), errors };
  }
  const text = errorText(err);
  if (err instanceof RunnerApiError && err.code === "PrecheckFailed") {
    const sql = (err.details as { sql?: unknown } | undefined)?.sql;
    return { step: 1, errors: [], stepMessage: { text, sql: Array.isArray(sql) ? sql.map(String) : [] } };
  }
  if (err instanceof RunnerApiError && err.code === "Conflict") {
    const details = err.details as { taken?: unknown; username?: unknown } | undefined;
    if (Array.isArray(details?.taken)) {
      const taken = (["username", "password"] as const).filter((k) => (details.taken as unknown[]).includes(mapping(v)[k]));
      return { step: 2, errors: taken.map((k) => ({ path: `secretsMapping.${k}`, message: text })) };
    }
    if (typeof details?.username === "string") {
      // The user already belongs to another rotation on the same server.
      return { step: 1, errors: [{ path: details.username === v.parameters.username2 ? "parameters.username2" : "parameters.username1", message: text }] };
    }
    return { step: 3, errors: [{ path: "name", message: text }] };
  }
  if (err instanceof RunnerApiError && (err.code === "NotFound" || err.code === "Forbidden") && /App connection/.test(text)) {
    return { step: 0, errors: [{ path: "connectionId", message: text }] };
  }
  return { step: REVIEW, errors: [], stepMessage: { text } };
}
