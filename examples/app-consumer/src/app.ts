/**
 * The service itself: GET / answers which database user served the request. It only needs something with
 * pg.Pool's query(); src/index.ts hands it a pool from pgrotate/pg, which follows the rotations.
 */
import http from "node:http";
import type { Pool } from "pg";

export function createServer(db: Pick<Pool, "query">): http.Server {
  return http.createServer((_req, res) => {
    // session_user: the login user (with pgrotate setup-sql every session runs as the group role, current_user).
    db.query<{ user: string }>("SELECT session_user AS user").then(
      ({ rows }) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ servedBy: rows[0].user })),
      (err: Error) => res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: err.message })),
    );
  });
}
