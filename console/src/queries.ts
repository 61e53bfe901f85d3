/**
 * Every key of the one cache, in one place: a query and the invalidations of it name it the same way. Each
 * factory called without its argument gives the prefix that matches all of that kind (invalidate every rotation).
 */
const kind =
  <K extends string>(k: K) =>
  (...rest: Array<string | undefined>) =>
    [k, ...rest.filter((r): r is string => r !== undefined)] as const;

export const keys = {
  session: kind("session"),
  connections: kind("connections"),
  /** One project's list of rotations. */
  rotations: kind("rotations"),
  rotation: kind("rotation"),
  history: kind("rotation-history"),
  generatedCredentials: kind("generated-credentials"),
  pairCheck: kind("pair-check"),
  serverVersion: kind("server-version"),
  /** A folder's secrets (project, environment, path). */
  secrets: kind("secrets"),
  readiness: kind("readiness"),
  /** A project's freeze. */
  projectFreeze: kind("project-freeze"),
  /** The environments of a project (the list filter's suggestions). */
  projectEnvironments: kind("project-environments"),
};
