/**
 * The middleware every /api request passes through before its route, in the order app.ts mounts it, and what the
 * secret read from memory (fast-read.ts, answered before Express) does about each: it calls the same function,
 * or the step has nothing to do for the reads it answers (said here, and in docs/api.md). test/fast-read.test.ts
 * walks the Express app and fails when the API gains a step this list does not name, so no middleware added to
 * the API is silently skipped by the fast read.
 */
export const API_PIPELINE: ReadonlyArray<{ name: string; fastRead: string }> = [
  { name: "securityHeaders", fastRead: "applies: the same API_HEADERS on the answer" },
  { name: "weakEtagWhenEncoded", fastRead: "nothing to do: a secret read is never compressed, so its ETag stays strong" },
  { name: "compression", fastRead: "nothing to do: answers holding secret values are never compressed (api/compress.ts, BREACH)" },
  {
    name: "authFailureLimit",
    fastRead: "applies: the limiter counts failed authentications and lets a token this runner knows to be valid pass (knownValid: a cached principal); the fast read answers only such tokens",
  },
  { name: "jsonParser", fastRead: "nothing to do: a GET has no body" },
  { name: "auditTrail", fastRead: "applies: the same row (auditRow with the route's readOneNote), written when the answer is sent" },
  { name: "rejectNul", fastRead: "applies: hasNul on the name and the query; a read holding one goes to Express for its 400" },
  { name: "authenticate", fastRead: "applies: AccessService.cached, the lookup the API's authentication tries first; any other token goes to Express" },
];
