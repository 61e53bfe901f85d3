/**
 * POST /api/v1/events/subscribe/project-events — Infisical's event subscription, as Infisical's Kubernetes
 * operator opens it for `instantUpdates` (internal/api/api.go in Infisical/kubernetes-operator), served from the
 * change feed: the same hub, caps, heartbeats, token re-check and Last-Event-ID resume as GET /api/v1/events/secrets
 * (api/events.ts), written in Infisical's frames.
 *
 * - A registration without a wildcard needs read over its folder; one with a wildcard needs read over its base
 *   (for "/app/**": "/app"; for a glob: the folders before its first wildcard) or a scope that lies under that base
 *   (as a recursive read: an identity scoped to /app may register "/**"). Else 403 and nothing opens. Each change is
 *   checked against the principal's scope before it is sent, so a wide pattern brings only the principal's part.
 * - A change of a matching folder's secrets is `event: secret:update` with Infisical's data (environment, folder
 *   and one entry per secret name; never a value). The feed does not tell a created or deleted secret from an
 *   updated one, so `secret:create` and `secret:delete` registrations are accepted and never sent; pgrotate has no
 *   imports, so `secret:import-mutation` is sent only when the client must re-read (see `reset` below).
 * - `event: ping` at every heartbeat (15 s) and once attached: the operator counts only `event: ping` as a sign
 *   of life (a `: comment` is not one) and reconnects after 2 min without one. Each ping carries the cursor as
 *   `id:`, so a client that sends Last-Event-ID resumes losslessly; the operator does not, and resyncs on connect.
 */
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { authorize, overlaps, permits } from "../auth/principal";
import { projectIdSchema, SLUG } from "../schemas";
import type { FeedMessage, Follows, SecretEventHub } from "../services/secret-events";
import { baseFolder, compilePattern, PATTERN_RULE, patternSegments, type Registration, registrationMatches } from "../services/path-patterns";
import type { SecretChangedEvent } from "../responses";
import { type FeedAuth, type FeedLimits, type Framing, oneLine, type StreamCounter, streamOpener } from "./events";
import { parse, principalOf, route } from "./http";

export const PROJECT_EVENTS = ["secret:create", "secret:update", "secret:delete", "secret:import-mutation"] as const;
type ProjectEvent = (typeof PROJECT_EVENTS)[number];

const required = (what: string, type: string) => (iss: { input: unknown }) => (iss.input === undefined ? `${what} is required` : `${what} must be ${type}`);

const secretPathPattern = z
  .string({ error: required("secretPath", "a string") })
  .refine((p) => patternSegments(p) !== undefined, PATTERN_RULE)
  .transform((p) => compilePattern(patternSegments(p)!).pattern)
  .meta({ description: 'A folder ("/app"), a folder and everything under it ("/app/**"; "/**" = every folder), or a glob with `*` and `**`; default "/"', example: "/app/**" });

export const subscribeProjectEventsSchema = z
  .object({
    projectId: projectIdSchema,
    register: z
      .array(
        z.object({
          event: z.enum(PROJECT_EVENTS, { error: `event must be one of ${PROJECT_EVENTS.join(", ")}` }),
          conditions: z.object(
            {
              environmentSlug: z
                .string({ error: required("environmentSlug", "a string") })
                .max(64, "environmentSlug must be at most 64 characters")
                .regex(SLUG, 'environmentSlug must be an environment slug such as "dev" or "prod"'),
              secretPath: secretPathPattern.default("/"),
            },
            { error: required("conditions", "an object { environmentSlug, secretPath }") },
          ),
        }),
        { error: required("register", "an array of { event, conditions }") },
      )
      .min(1, "register must name at least one event")
      .max(10, "register may hold at most 10 entries"),
  })
  .meta({ id: "SubscribeProjectEvents", description: "Infisical's project-events subscription (what its Kubernetes operator sends)" });

/** The data of one Infisical event frame (`type` is Infisical's project type). */
const infisicalData = (eventType: ProjectEvent, payload: unknown) => ({ type: "secret-manager", data: { eventType, payload } });

const sseFrame = (event: string, id: string | undefined, data?: unknown) =>
  `${id === undefined ? "" : `id: ${oneLine(id)}\n`}event: ${event}\n${data === undefined ? "" : `data: ${JSON.stringify(data)}\n`}\n`;

/**
 * The hub's messages as Infisical's frames: `secret.changed` → `secret:update`; `ready` → `ping`; `reset` →
 * for each registered folder pattern, `secret:import-mutation` ("secrets here changed; names unknown") when
 * registered for it, else the first event registered for it (with no names), so the client re-reads.
 */
export function projectEventsFraming(registrations: Registration[]): Framing {
  const conditions = new Map<string, { environment: string; secretPath: string; events: Set<string> }>();
  for (const r of registrations) {
    const key = JSON.stringify([r.environment, r.path.pattern]);
    const c = conditions.get(key) ?? { environment: r.environment, secretPath: r.path.pattern, events: new Set<string>() };
    c.events.add(r.event);
    conditions.set(key, c);
  }
  const reset = (id: string | undefined) =>
    [...conditions.values()]
      .map((c, i, all) => {
        const last = i === all.length - 1 ? id : undefined;
        const where = { environment: c.environment, secretPath: c.secretPath };
        if (c.events.has("secret:import-mutation")) return sseFrame("secret:import-mutation", last, infisicalData("secret:import-mutation", where));
        const event = (c.events.has("secret:update") ? "secret:update" : [...c.events][0]) as ProjectEvent;
        return sseFrame(event, last, infisicalData(event, [where]));
      })
      .join("");
  return {
    message(m: FeedMessage): string {
      if (m.event === "ready") return sseFrame("ping", m.id);
      if (m.event === "reset") return reset(m.id);
      const e = m.data as SecretChangedEvent;
      const payload = e.secretKeys.map((key) => ({ environment: e.environment, secretPath: e.secretPath, secretKeys: key }));
      return sseFrame("secret:update", m.id, infisicalData("secret:update", payload));
    },
    heartbeat: (cursor) => sseFrame("ping", cursor),
  };
}

/** Mounted at /api/v1/events (behind authentication), beside eventRoutes. */
export function projectEventRoutes(hub: SecretEventHub, auth: FeedAuth, limits: FeedLimits = {}, countedWith: StreamCounter[] = [hub]): Router {
  const r = Router();
  const open = streamOpener<Follows>(hub, auth, limits, countedWith);
  r.post("/subscribe/project-events", route(async (req: Request, res: Response) => {
    const body = parse(subscribeProjectEventsSchema, req.body, "body");
    const principal = principalOf(res);
    const registrations: Registration[] = body.register.map((x) => ({
      event: x.event,
      environment: x.conditions.environmentSlug,
      path: compilePattern(patternSegments(x.conditions.secretPath)!),
    }));
    for (const x of registrations) {
      // A pattern with a wildcard reaches every folder under its base: a principal whose scope lies under that base
      // may subscribe and gets its own part's events only (accepts, below), as a recursive read gives it its part.
      const base = baseFolder(body.projectId, x);
      if (x.path.pattern === x.path.base || !overlaps(principal.scope, base)) authorize(principal, "read", base);
    }
    // Every change is a secret:update (see above): only those registrations select changes.
    const updates = registrations.filter((x) => x.event === "secret:update");
    const accepts = (f: { projectId: string; environment: string; secretPath: string }) =>
      f.projectId === body.projectId && updates.some((x) => registrationMatches(x, f)) && permits(principal, "read", f);
    const header = req.headers["last-event-id"];
    await open(req, res, { projectId: body.projectId, accepts }, projectEventsFraming(registrations), typeof header === "string" ? header : undefined);
  }));
  return r;
}

/** The data of an event frame (API reference). */
export const projectEventDataSchema = z
  .object({
    type: z.literal("secret-manager"),
    data: z.object({
      eventType: z.enum(PROJECT_EVENTS),
      payload: z.union([
        z.array(z.object({ environment: z.string(), secretPath: z.string(), secretKeys: z.string().optional().meta({ description: "One secret's name (never a value)" }) })),
        z.object({ environment: z.string(), secretPath: z.string() }),
      ]),
    }),
  })
  .meta({ id: "ProjectEvent", description: "The data of a `secret:*` event of a project-events subscription (Infisical's shape)" });
