/** A target database with a connection role and two login users, as a platform team would set it up. */
import { cluster as defaultCluster, createDatabase, type TestCluster, uniqueName, withClient } from "./pg";

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

export interface Target {
  cluster: TestCluster;
  database: string;
  admin: { username: string; password: string };
  users: [string, string];
  initialPasswords: [string, string];
  /** The body of POST /api/v1/app-connections/postgres for this target. */
  connectionBody(name?: string): Record<string, unknown>;
  /** Runs SQL as the cluster superuser in the target database. */
  sql<T = unknown>(text: string, values?: unknown[]): Promise<T[]>;
  /**
   * Another role `<tag>_<random>` (LOGIN unless `attrs` says otherwise, e.g. "NOLOGIN", "SUPERUSER"), its
   * password the first initial password, the connection role holding ADMIN OPTION on it as for the two users;
   * dropped with the target.
   */
  addRole(tag: string, attrs?: string): Promise<string>;
  drop(): Promise<void>;
}

export interface TargetOptions {
  cluster?: TestCluster;
  prefix?: string;
  /** Rights of the connection role (default: CREATEROLE and, on 16+, ADMIN OPTION on both users). */
  adminRights?: "createrole+admin" | "createrole-only" | "none" | "superuser";
  usernames?: [string, string];
}

export async function createTarget(opts: TargetOptions = {}): Promise<Target> {
  const c = opts.cluster ?? defaultCluster();
  const prefix = opts.prefix ?? "tgt";
  const db = await createDatabase(c, prefix);
  const admin = { username: uniqueName(`${prefix}_admin`), password: "admin-" + uniqueName("pw") };
  const users: [string, string] = opts.usernames ?? [uniqueName(`${prefix}_app_a`), uniqueName(`${prefix}_app_b`)];
  const initialPasswords: [string, string] = ["initial-" + uniqueName("a"), "initial-" + uniqueName("b")];
  const rights = opts.adminRights ?? "createrole+admin";
  await withClient(c.url(db.name), async (cl) => {
    const attrs = rights === "superuser" ? "SUPERUSER" : rights === "none" ? "" : "CREATEROLE";
    await cl.query(`CREATE ROLE ${q(admin.username)} LOGIN ${attrs} PASSWORD ${lit(admin.password)}`);
    for (let i = 0; i < 2; i++) {
      await cl.query(`CREATE ROLE ${q(users[i])} LOGIN PASSWORD ${lit(initialPasswords[i])}`);
      if (rights === "createrole+admin" && c.major >= 16) {
        await cl.query(`GRANT ${q(users[i])} TO ${q(admin.username)} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE`);
      }
    }
  });
  const roles = [admin.username, ...users];
  return {
    cluster: c,
    database: db.name,
    admin,
    users,
    initialPasswords,
    connectionBody: (name = uniqueName("conn").replace(/_/g, "-")) => ({
      name,
      method: "username-and-password",
      credentials: { host: c.host, port: c.port, database: db.name, username: admin.username, password: admin.password, sslEnabled: false },
    }),
    sql: async <T,>(text: string, values?: unknown[]) =>
      withClient(c.url(db.name), async (cl) => (await cl.query(text, values)).rows as T[]),
    addRole: async (tag, attrs = "LOGIN") => {
      const name = uniqueName(`${prefix}_${tag}`);
      roles.push(name);
      await withClient(c.url(db.name), async (cl) => {
        await cl.query(`CREATE ROLE ${q(name)} ${attrs} PASSWORD ${lit(initialPasswords[0])}`);
        if (rights === "createrole+admin" && c.major >= 16) {
          await cl.query(`GRANT ${q(name)} TO ${q(admin.username)} WITH ADMIN OPTION, INHERIT FALSE, SET FALSE`);
        }
      });
      return name;
    },
    drop: async () => {
      await db.drop();
      await withClient(c.url("postgres"), async (cl) => {
        for (const r of roles) await cl.query(`DROP ROLE IF EXISTS ${q(r)}`);
      });
    },
  };
}

/** Infisical's documented create request for a PostgreSQL Credentials rotation, in DESIGN.md's terms. */
export function infisicalCreateBody(connectionId: string, users: [string, string], over: Record<string, unknown> = {}) {
  return {
    name: "my-pg-rotation",
    projectId: "my-project",
    description: "my database credentials rotation",
    connectionId,
    environment: "dev",
    secretPath: "/",
    isAutoRotationEnabled: true,
    rotationInterval: 30,
    rotateAtUtc: { hours: 0, minutes: 0 },
    parameters: { username1: users[0], username2: users[1] },
    secretsMapping: { username: "POSTGRES_DB_USERNAME", password: "POSTGRES_DB_PASSWORD" },
    ...over,
  };
}
