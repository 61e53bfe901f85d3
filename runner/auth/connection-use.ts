/**
 * Who may use an app connection. Using one is a permission of its own: a principal may use connection C for a
 * rotation in folder F when it is unscoped, or when one of C's allowedScopes covers F (holding `manage` over F
 * is checked apart, by the route). Where no folder is involved (listing, getting, pair check, server version),
 * a scoped principal sees C when one of C's allowedScopes overlaps its own scope. Pure: the console's connection
 * picker uses the same rule.
 */
import { AppError, folderLabel, notFound } from "../errors";
import { covers, type Folder, isUnscoped, overlaps, type Principal, type Scope } from "./principal";

/** What the rule reads of a connection. */
export interface Grantable {
  id: string;
  name: string;
  allowedScopes: readonly Scope[];
}

/** True when some entry of the connection's allowedScopes covers the folder. */
export const grantedFor = (c: Pick<Grantable, "allowedScopes">, f: Folder): boolean => c.allowedScopes.some((s) => covers(s, f));

/** May `p` use the connection for a rotation in folder `f`? */
export const mayUseFor = (p: Pick<Principal, "scope">, c: Pick<Grantable, "allowedScopes">, f: Folder): boolean => isUnscoped(p.scope) || grantedFor(c, f);

/** May `p` see the connection (some folder in its scope is granted)? */
export const maySee = (p: Pick<Principal, "scope">, c: Pick<Grantable, "allowedScopes">): boolean =>
  isUnscoped(p.scope) || c.allowedScopes.some((s) => overlaps(s, p.scope));

/** 403 unless `p` may use the connection in folder `f`; the message says who can grant it, and how. */
export function authorizeUse(p: Principal, c: Grantable, f: Folder): void {
  if (mayUseFor(p, c, f)) return;
  const entry = JSON.stringify({ projectId: f.projectId, environment: f.environment, secretPath: f.secretPath });
  throw new AppError(
    "Forbidden",
    `App connection ${c.name} (${c.id}) is not granted to ${folderLabel(f)}, so this ${p.kind} may not use it there. ` +
      `An unscoped manage token can grant it by adding ${entry} (or a parent folder) to the connection's allowedScopes ` +
      `(PATCH /api/v1/app-connections/postgres/${c.id}).`,
  );
}

/** 404 (as if it did not exist) unless `p` may see the connection: a scoped token learns nothing of the others. */
export function authorizeSight(p: Principal, c: Grantable): void {
  if (!maySee(p, c)) throw notFound("App connection", c.id);
}
