/**
 * A small service on rotated credentials: GET / answers which database user served the request.
 *
 *   PGROTATE_URL=http://127.0.0.1:8080 PGROTATE_CLIENT_ID=… PGROTATE_CLIENT_SECRET=… \
 *   DB_HOST=127.0.0.1 DB_PORT=5432 DB_NAME=app \
 *   PGROTATE_PROJECT=quickstart PGROTATE_ENVIRONMENT=dev \
 *   npm start
 *
 * The pool comes from pgrotate/pg: it reads the active credentials from the runner, follows its change feed
 * to switch users ahead of each rotation, and re-reads if a login is ever refused. No query fails across
 * rotations. CREDENTIALS_FROM=stack-output reads the Pulumi stack output `secrets` instead (needs the Pulumi CLI).
 */
import { createRotatingPool, type RotatingPoolOptions } from "pgrotate/pg";
import { createServer } from "./app";
import { fromStackOutput } from "./credentials";

function env(name: string, fallback?: string): string {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`set ${name}`);
  return v;
}

const usernameKey = env("DB_USERNAME_KEY", "DB_USERNAME");
const passwordKey = env("DB_PASSWORD_KEY", "DB_PASSWORD");
const pool = { host: env("DB_HOST", "127.0.0.1"), port: Number(env("DB_PORT", "5432")), database: env("DB_NAME"), max: 5 };
// Told what the pool does: credentials read, users switched, the change feed's state. Never a password.
const onEvent: RotatingPoolOptions["onEvent"] = (e) => console.log(`pgrotate/pg: ${JSON.stringify(e)}`);

const db = createRotatingPool(
  process.env.CREDENTIALS_FROM === "stack-output"
    ? { credentials: fromStackOutput({ cwd: process.env.PULUMI_PROJECT_DIR, stack: process.env.PULUMI_STACK, usernameKey, passwordKey }), pool, onEvent }
    : {
        runnerUrl: env("PGROTATE_URL", "http://127.0.0.1:8080"),
        // A machine identity (PGROTATE_CLIENT_ID / PGROTATE_CLIENT_SECRET), or a token.
        ...(process.env.PGROTATE_CLIENT_ID
          ? { identity: { clientId: env("PGROTATE_CLIENT_ID"), clientSecret: env("PGROTATE_CLIENT_SECRET") } }
          : { token: env("PGROTATE_TOKEN") }),
        projectId: env("PGROTATE_PROJECT", "quickstart"),
        environment: env("PGROTATE_ENVIRONMENT", "dev"),
        secretPath: env("PGROTATE_SECRET_PATH", "/"),
        usernameKey,
        passwordKey,
        pool,
        onEvent,
      },
);

const server = createServer(db);
const port = Number(process.env.PORT ?? 3000);
server.listen(port, "127.0.0.1", () => console.log(`app-consumer listening on http://127.0.0.1:${port}`));
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => server.close(() => void db.end().finally(() => process.exit(0))));
}
