/** Request bodies built from options, checked with the runner's own schemas before anything is sent. */
import fs from "node:fs";
import { InvalidArgumentError } from "@commander-js/extra-typings";
import type { ZodType } from "zod";
import { fromZod } from "../errors";
import { UsageError } from "./errors";

/** The body if the runner's schema accepts it, else a usage error naming each bad field (exit 2). */
export function checked<T>(schema: ZodType, body: T, what: string): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new UsageError(fromZod(r.error, what).message);
  return body;
}

/** "02:30" -> { hours: 2, minutes: 30 } */
export function parseTimeOfDay(v: string): { hours: number; minutes: number } {
  const m = /^(\d{1,2}):(\d{2})$/.exec(v.trim());
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) throw new InvalidArgumentError("a time of day such as 00:00 or 02:30");
  return { hours: Number(m[1]), minutes: Number(m[2]) };
}

export function parseWholeNumber(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("a whole number of at least 1");
  return n;
}

/** A whole number of at least 0 (e.g. --max-hold-hours, where 0 means never). */
export function parseCount(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError("a whole number of at least 0");
  return n;
}

/** A JSON object from a file, or from stdin for "-". */
export function readJsonFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (err) {
    throw new UsageError(`Cannot read ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`${JSON.stringify(file)} is not JSON`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new UsageError(`${JSON.stringify(file)} must hold a JSON object`);
  return value as Record<string, unknown>;
}

type TimeOfDay = { hours: number; minutes: number };

/**
 * --at / --time-zone -> the body's rotateAtUtc, or rotateAt + timeZone. For an update, what is not given
 * keeps the rotation's current value (a new --at keeps its time zone, a new --time-zone its time).
 */
export function scheduleFields(o: { at?: TimeOfDay; timeZone?: string }, current?: { rotateAtUtc: TimeOfDay | null; rotateAt: TimeOfDay; timeZone: string }): Record<string, unknown> {
  if (!o.at && !o.timeZone) return {};
  const zone = o.timeZone ?? (current && !current.rotateAtUtc ? current.timeZone : undefined);
  const at = o.at ?? current?.rotateAt ?? { hours: 0, minutes: 0 };
  return zone ? { rotateAt: at, timeZone: zone } : { rotateAtUtc: at };
}

/** The schedule fields of a JSON body (dropped when options give the schedule). */
export const SCHEDULE_FIELDS = ["rotateAtUtc", "rotateAt", "timeZone"];

/** Only the defined entries (an update sends what was given). */
export const defined = (o: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
