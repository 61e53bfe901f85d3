/**
 * Folder patterns of Infisical's project-events subscription (`conditions.secretPath`): a folder ("/app/db"),
 * a folder and everything under it ("/app/**", what Infisical's operator sends for a recursive source; "/**" is
 * every folder), or a glob whose segments may hold `*` (any characters of one folder name) and `**` (any number
 * of folders, none included). Paths are pgrotate's folders: "/" or "/a/b", no trailing slash.
 */
import type { Folder } from "../store/secrets";

/** A segment of a pattern: a folder name, possibly with `*`, or `**` alone. */
const SEGMENT = /^(?:\*\*|(?:[A-Za-z0-9_.-]|\*(?!\*))+)$/;

export const PATTERN_RULE =
  'secretPath must be a folder such as "/" or "/app/db", optionally ending in "/**" (the folder and everything under it), ' +
  'or a glob whose folder names may use "*" (within one name) and "**" (any depth, alone between slashes)';

/** The segments of a pattern ("/" has none), or undefined when it is not one. A trailing slash is dropped. */
export function patternSegments(pattern: string): string[] | undefined {
  if (!pattern.startsWith("/") || pattern.length > 256) return undefined;
  const body = pattern.slice(1).replace(/\/$/, "");
  if (body === "") return [];
  const segments = body.split("/");
  return segments.every((s) => SEGMENT.test(s)) ? segments : undefined;
}

export interface FolderPattern {
  /** As registered, normalized (no trailing slash but "/"). */
  pattern: string;
  /**
   * The deepest folder every match lies in (the segments before the first wildcard): who may read it may read
   * every folder the pattern matches, since a scope covers a folder and everything under it.
   */
  base: string;
  matches(secretPath: string): boolean;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Compiles a pattern that patternSegments accepted. */
export function compilePattern(segments: string[]): FolderPattern {
  const wild = segments.findIndex((s) => s.includes("*"));
  const literal = wild === -1 ? segments : segments.slice(0, wild);
  // Folders are matched as "" (the root) or "/a/b": each segment brings its own leading slash.
  const source = segments
    .map((s) => (s === "**" ? "(?:/[^/]+)*" : "/" + s.split("*").map(escapeRegExp).join(s === "*" ? "[^/]+" : "[^/]*")))
    .join("");
  const re = new RegExp(`^${source}$`);
  return {
    pattern: "/" + segments.join("/"),
    base: "/" + literal.join("/"),
    matches: (secretPath) => re.test(secretPath === "/" ? "" : secretPath),
  };
}

/** One registration, ready to test events against. */
export interface Registration {
  event: string;
  environment: string;
  path: FolderPattern;
}

/** The folder a principal must be able to read to register this (see FolderPattern.base). */
export const baseFolder = (projectId: string, r: Registration): Folder => ({ projectId, environment: r.environment, secretPath: r.path.base });

export const registrationMatches = (r: Registration, f: Pick<Folder, "environment" | "secretPath">): boolean =>
  r.environment === f.environment && r.path.matches(f.secretPath);
