/** Who is calling and what they may do. Admin may do everything; tokens and identities are scoped. */
import { AppError } from "../errors";

export type Permission = "read" | "manage";

export interface Scope {
  projectId: string | null;
  environment: string | null;
  /** A folder and everything under it; null = every path. */
  secretPath: string | null;
}

export interface Principal {
  kind: "admin" | "token" | "identity";
  id: string;
  /** For audit rows: "admin", "token:<id>", "identity:<id>". */
  actor: string;
  permission: Permission;
  scope: Scope;
}

export interface Folder {
  projectId: string;
  environment: string;
  secretPath: string;
}

export const ADMIN: Principal = {
  kind: "admin",
  id: "admin",
  actor: "admin",
  permission: "manage",
  scope: { projectId: null, environment: null, secretPath: null },
};

export const isUnscoped = (s: Scope): boolean => s.projectId === null && s.environment === null && s.secretPath === null;

function pathCovers(scopePath: string | null, path: string): boolean {
  if (scopePath === null || scopePath === "/") return true;
  return path === scopePath || path.startsWith(scopePath + "/");
}

export function covers(scope: Scope, f: Folder): boolean {
  return (scope.projectId === null || scope.projectId === f.projectId) &&
    (scope.environment === null || scope.environment === f.environment) &&
    pathCovers(scope.secretPath, f.secretPath);
}

const either = (a: string | null, b: string | null) => a === null || b === null || a === b;

/** True when some folder is covered by both scopes (one path covers the other, or either is any). */
export function overlaps(a: Scope, b: Scope): boolean {
  return either(a.projectId, b.projectId) &&
    either(a.environment, b.environment) &&
    (a.secretPath === null || b.secretPath === null || pathCovers(a.secretPath, b.secretPath) || pathCovers(b.secretPath, a.secretPath));
}

const allows = (p: Principal, need: Permission) => need === "read" || p.permission === "manage";

const inScope = (p: Principal, folder?: Folder) => (folder ? covers(p.scope, folder) : isUnscoped(p.scope));

/** Whether the principal holds `need` over the folder (or over everything when no folder). */
export const permits = (p: Principal, need: Permission, folder?: Folder): boolean => allows(p, need) && inScope(p, folder);

/** Throws 403 unless the principal's permission is at least `need` (whatever its scope). */
export function authorizePermission(p: Principal, need: Permission): void {
  if (!allows(p, need)) throw new AppError("Forbidden", `This ${p.kind} may only read; ${need} is required`);
}

/** Throws 403 unless the principal holds `need` over the folder (or over everything when no folder). */
export function authorize(p: Principal, need: Permission, folder?: Folder): void {
  authorizePermission(p, need);
  if (!inScope(p, folder)) {
    const where = folder ? `project ${folder.projectId}, environment ${folder.environment}, path ${folder.secretPath}` : "resources outside any project";
    throw new AppError("Forbidden", `This ${p.kind} is not allowed to access ${where}`);
  }
}

/** Throws 403 unless the principal may read some folder of the project (a project's freeze, its environments). */
export function authorizeProjectSight(p: Principal, projectId: string): void {
  if (!overlaps(p.scope, { projectId, environment: null, secretPath: null })) {
    throw new AppError("Forbidden", `This ${p.kind} is not allowed to access project ${projectId}`);
  }
}

export function requireAdmin(p: Principal): void {
  if (p.kind !== "admin") throw new AppError("Forbidden", "Only the admin token may do this");
}
