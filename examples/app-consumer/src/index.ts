/**
 * A small service that uses rotated credentials: GET / answers which database user served the request.
 *
 *   PGROTATE_URL=http://127.0.0.1:8080 PGROTATE_CLIENT_ID=… PGROTATE_CLIENT_SECRET=… \
 *   DB_HOST=127.0.0.1 DB_PORT=5432 DB_NAME=app \
 *   PGROTATE_PROJECT=quickstart PGROTATE_ENVIRONMENT=dev \
 *   npm start
 *
 * CREDENTIALS_FROM=stack-output reads the Pulumi stack output `secrets` instead (needs the Pulumi CLI).
 */
import http from "node:http";
import { type CredentialSource, fromRunner, fromStackOutput } from "./credentials";
import { RotatingPool } from "./db";

function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`set ${name}`);
  return v;
}

const usernameKey = env("DB_USERNAME_KEY", "DB_USERNAME");
const passwordKey = env("DB_PASSWORD_KEY", "DB_PASSWORD");

const credentials: CredentialSource =
  process.env.CREDENTIALS_FROM === "stack-output"
    ? fromStackOutput({ cwd: process.env.PULUMI_PROJECT_DIR, stack: process.env.PULUMI_STACK, usernameKey, passwordKey })
    : fromRunner({
        url: env("PGROTATE_URL", "http://127.0.0.1:8080"),
        // A machine identity (PGROTATE_CLIENT_ID / PGROTATE_CLIENT_SECRET), or a token.
        ...(process.env.PGROTATE_CLIENT_ID
          ? { clientId: env("PGROTATE_CLIENT_ID"), clientSecret: env("PGROTATE_CLIENT_SECRET") }
          : { token: env("PGROTATE_TOKEN") }),
        projectId: env("PGROTATE_PROJECT", "quickstart"),
        environment: env("PGROTATE_ENVIRONMENT", "dev"),
        secretPath: env("PGROTATE_SECRET_PATH", "/"),
        usernameKey,
        passwordKey,
      });

const db = new RotatingPool({
  pool: { host: env("DB_HOST", "127.0.0.1"), port: Number(env("DB_PORT", "5432")), database: env("DB_NAME"), max: 5 },
  credentials,
  onRefresh: (user) => console.log(`database credentials (re)read: now logging in as ${user}`),
});

const server = http.createServer(async (_req, res) => {
  try {
    const { rows } = await db.query<{ user: string }>("SELECT current_user AS user");
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ servedBy: rows[0].user }));
  } catch (err) {
    res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: (err as Error).message }));
  }
});

const port = Number(process.env.PORT ?? 3000);
server.listen(port, "127.0.0.1", () => console.log(`app-consumer listening on http://127.0.0.1:${port}`));
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => server.close(() => void db.end().finally(() => process.exit(0))));
}
