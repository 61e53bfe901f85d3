/**
 * Named profiles `pgrotate login` saves: a runner URL, its CA file, and a token or a machine identity's client id
 * and secret. One file, $XDG_CONFIG_HOME/pgrotate/profiles.json (else ~/.config/pgrotate/profiles.json), mode 0600
 * in a 0700 directory; written whole (a temporary file renamed over it). Nothing here ever prints a secret.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { UsageError } from "./errors";

const profileSchema = z
  .object({
    url: z.string(),
    caFile: z.string().optional(),
    token: z.string().optional(),
    clientId: z.string().optional(),
    clientSecret: z.string().optional(),
  })
  .strict();
export type Profile = z.infer<typeof profileSchema>;

const fileSchema = z.object({ profiles: z.record(z.string(), profileSchema) });

/** The profile used when neither --profile nor PGROTATE_PROFILE names one (and `login` saves without them). */
export const DEFAULT_PROFILE = "default";

export function profilesFile(): string {
  const base = process.env.XDG_CONFIG_HOME || path.join(os.homedir(), ".config");
  return path.join(base, "pgrotate", "profiles.json");
}

export function readProfiles(): Record<string, Profile> {
  const file = profilesFile();
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new UsageError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not JSON: fix or remove it (pgrotate login writes it again)`);
  }
  const checked = fileSchema.safeParse(parsed);
  if (!checked.success) throw new UsageError(`${file} is not a profiles file: fix or remove it (pgrotate login writes it again)`);
  return checked.data.profiles;
}

/** Adds or replaces one profile; the directory is made (or kept) 0700 and the file written 0600. */
export function saveProfile(name: string, profile: Profile): string {
  const file = profilesFile();
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
  const profiles = { ...readProfiles(), [name]: profileSchema.parse(profile) };
  const partial = `${file}.partial-${process.pid}`;
  try {
    fs.writeFileSync(partial, JSON.stringify({ profiles }, null, 2) + "\n", { mode: 0o600 });
    fs.renameSync(partial, file);
  } finally {
    fs.rmSync(partial, { force: true });
  }
  return file;
}
