/**
 * A fresh database prepared exactly by `setupSql()` (what `pgrotate setup-sql` prints), applied as the
 * cluster's superuser; the only step added is the connection role's password (the script never prints one).
 */
import { randomBytes } from "node:crypto";
import { setupSql } from "../../runner/postgres/setup-sql";
import { createDatabase, type TestCluster, uniqueName, withClient } from "./pg";

const q = (s: string) => `"${s.replace(/"/g, '""')}"`;

export interface PreparedDatabase {
  cluster: TestCluster;
  database: string;
  owner: string;
  users: [string, string];
  connectionRole: string;
  connectionPassword: string;
  /** The script as printed. */
  script: string;
  /** POST /api/v1/app-connections/postgres for this database. */
  connectionBody(name?: string): Record<string, unknown>;
  /** Runs SQL (several statements allowed) as the cluster superuser in the database. */
  sql<T = unknown>(text: string): Promise<T[]>;
  /** Extra roles a test created, dropped with the rest. */
  extraRoles: string[];
  drop(): Promise<void>;
}

export async function preparedDatabase(c: TestCluster, prefix: string, over: { users?: [string, string] } = {}): Promise<PreparedDatabase> {
  const db = await createDatabase(c, prefix);
  const owner = uniqueName(`${prefix}_owner`);
  const users: [string, string] = over.users ?? [uniqueName(`${prefix}_app_a`), uniqueName(`${prefix}_app_b`)];
  const connectionRole = uniqueName(`${prefix}_rot`);
  const connectionPassword = "conn-" + randomBytes(12).toString("hex");
  const script = setupSql({ database: db.name, users, owner, connectionRole, serverVersion: c.major });
  const run = <T,>(text: string) =>
    withClient(c.url(db.name), async (cl) => {
      const res = (await cl.query(text)) as unknown as { rows: T[] } | Array<{ rows: T[] }>;
      return Array.isArray(res) ? res.flatMap((r) => r.rows) : res.rows;
    });
  await run(script);
  await run(`ALTER ROLE ${q(connectionRole)} PASSWORD '${connectionPassword}'`);
  const p: PreparedDatabase = {
    cluster: c,
    database: db.name,
    owner,
    users,
    connectionRole,
    connectionPassword,
    script,
    extraRoles: [],
    connectionBody: (name = uniqueName("conn").replace(/_/g, "-")) => ({
      name,
      method: "username-and-password",
      credentials: { host: c.host, port: c.port, database: db.name, username: connectionRole, password: connectionPassword, sslEnabled: false },
    }),
    sql: run,
    drop: async () => {
      await db.drop();
      await withClient(c.url("postgres"), async (cl) => {
        for (const r of [...users, ...p.extraRoles, connectionRole, owner]) await cl.query(`DROP ROLE IF EXISTS ${q(r)}`);
      });
    },
  };
  return p;
}
