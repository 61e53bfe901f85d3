/** The web console's sign-in session in the API reference (pgrotate extension; any client may use it). */
import { z } from "zod";
import type { ZodOpenApiPathsObject } from "zod-openapi";
import { consoleSessionSchema } from "../../responses";
import { consoleSignInSchema } from "../../schemas";
import { pathItem, TAGS } from "./operation";

const tag = TAGS.console;
const session = z.object({ session: consoleSessionSchema });

export const consolePaths: ZodOpenApiPathsObject = {
  "/api/v1/console/session": pathItem({
    post: {
      operationId: "consoleSignIn",
      summary: "Sign in: a token, or a machine identity's client id and secret, for a session cookie",
      description:
        "Answers with `Set-Cookie: pgrotate_session=…; HttpOnly; SameSite=Strict; Path=/` (`__Host-pgrotate_session` and `Secure` over " +
        "HTTPS). The session carries the token's permission and scope; it ends 12 hours after sign-in, after 1 hour without use, at " +
        "sign-out, and when its token is revoked or expires. Refused (403) when a browser says it comes from another origin. Failed " +
        "attempts count towards the rate limit and are in the audit log.",
      tag,
      auth: "public",
      body: { schema: consoleSignInSchema, examples: { token: { value: { token: "pgr_tok_…" } }, identity: { value: { clientId: "3c90c3cc-0d44-4b50-8888-8dd25736052a", clientSecret: "pgr_cs_…" } } } },
      ok: { description: "Signed in; the cookie is set", schema: session },
      errors: [401, 403, 422],
    },
    get: {
      operationId: "consoleSession",
      summary: "Who is signed in",
      description: "With a bearer token instead of the cookie: that token's principal, without session times.",
      tag,
      auth: "token",
      ok: { description: "The signed-in principal and the session's ends", schema: session },
    },
    delete: {
      operationId: "consoleSignOut",
      summary: "Sign out",
      description: "The session stops working at once and the cookie is cleared.",
      tag,
      auth: "token",
      ok: { description: "Signed out (false: the request carried no session)", schema: z.object({ signedOut: z.boolean() }) },
    },
  }),
};
