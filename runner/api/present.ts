/**
 * Records -> response bodies. Each presenter returns its schema's type from runner/responses.ts (the API
 * reference is generated from those schemas), so a field added here without documenting it fails to compile.
 */
import { derivedId } from "../ids";
import type { ApiAuditLog, ApiConnection, ApiConsoleSession, ApiHistoryEntry, ApiIdentity, ApiRotation, ApiToken, ApiUsage } from "../responses";
import type { UsageView } from "../rotation/engine";
import type { IdentityRecord, TokenRecord } from "../store/access";
import type { AuditRecord } from "../store/audit";
import type { Principal } from "../auth/principal";
import type { ConsoleSession } from "../auth/sessions";
import type { HistoryRecord } from "../store/rotations";
import type { ConnectionRecord, RotationRecord } from "../store/rows";
import type { RotationWindow } from "../rotation/window";

export const ROTATION_TYPE = "postgres-credentials";
/** pgrotate has one tenant: every connection belongs to this organization id (Infisical's `orgId`). */
export const ORG_ID = derivedId("organization", "pgrotate");

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function presentConnection(c: ConnectionRecord): ApiConnection {
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    orgId: ORG_ID,
    projectId: null,
    gatewayId: null,
    app: "postgres",
    method: c.method,
    version: c.version,
    isPlatformManagedCredentials: false,
    /** pgrotate extension: "pulumi" or "terraform" when an IaC provider created or last updated it, else null. */
    managedBy: c.managedBy,
    /** pgrotate extension: the scopes whose tokens may use it (empty: unscoped tokens only). */
    allowedScopes: c.allowedScopes.map((s) => ({ projectId: s.projectId, environment: s.environment, secretPath: s.secretPath })),
    credentials: {
      host: c.host,
      port: c.port,
      database: c.database,
      username: c.username,
      sslEnabled: c.sslEnabled,
      sslRejectUnauthorized: c.sslRejectUnauthorized,
      sslCertificate: c.sslCertificate ?? undefined,
    },
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export function presentRotation(r: RotationRecord): ApiRotation {
  const folderId = derivedId("folder", r.projectId, r.environment, r.secretPath);
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    type: ROTATION_TYPE,
    projectId: r.projectId,
    connectionId: r.connectionId,
    connection: { app: "postgres", name: r.connectionName, id: r.connectionId },
    environment: { slug: r.environment, name: r.environment, id: derivedId("environment", r.projectId, r.environment) },
    folderId,
    folder: { id: folderId, path: r.secretPath },
    isAutoRotationEnabled: r.isAutoRotationEnabled,
    rotationInterval: r.rotationInterval,
    rotateAtUtc: r.usesUtc ? { ...r.rotateAt } : null,
    rotateAt: { ...r.rotateAt },
    timeZone: r.timeZone,
    activeIndex: r.activeIndex,
    rotationStatus: r.rotationStatus,
    lastRotationAttemptedAt: iso(r.lastRotationAttemptedAt),
    lastRotatedAt: iso(r.lastRotatedAt),
    lastRotationJobId: r.lastRotationJobId,
    nextRotationAt: iso(r.nextRotationAt),
    isLastRotationManual: r.isLastRotationManual,
    lastRotationMessage: r.lastRotationMessage,
    parameters: {
      username1: r.username1,
      username2: r.username2,
      ...(r.passwordRequirements ? { passwordRequirements: r.passwordRequirements } : {}),
    },
    secretsMapping: { username: r.secretKeyUsername, password: r.secretKeyPassword },
    /** pgrotate extension: "pulumi" or "terraform" when an IaC provider created or last updated it, else null. */
    managedBy: r.managedBy,
    driftRepair: r.driftRepair,
    driftCheckedAt: iso(r.driftCheckedAt),
    rotationWindow: r.rotationWindow && presentWindow(r.rotationWindow),
    maxHoldHours: r.maxHoldHours,
    heldSince: iso(r.heldSince),
    heldBy: r.heldBy,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** A rotation window as the API shows it (blackouts always with their reason, null when none). */
function presentWindow(w: RotationWindow): NonNullable<ApiRotation["rotationWindow"]> {
  return {
    weekdays: [...w.weekdays],
    startTime: w.startTime,
    endTime: w.endTime,
    blackouts: w.blackouts.map((b) => ({ from: b.from, to: b.to, reason: b.reason ?? null })),
  };
}

export function presentToken(t: TokenRecord): ApiToken {
  return {
    id: t.id,
    name: t.name,
    identityId: t.identityId,
    permission: t.permission,
    scope: { ...t.scope },
    expiresAt: iso(t.expiresAt),
    revokedAt: iso(t.revokedAt),
    createdAt: t.createdAt.toISOString(),
  };
}

export function presentIdentity(i: IdentityRecord): ApiIdentity {
  return {
    id: i.id,
    name: i.name,
    clientId: i.clientId,
    permission: i.permission,
    scope: { ...i.scope },
    accessTokenTTL: i.accessTokenTTL,
    accessTokenMaxTTL: i.accessTokenMaxTTL,
    revokedAt: iso(i.revokedAt),
    createdAt: i.createdAt.toISOString(),
  };
}

export function presentHistory(h: HistoryRecord): ApiHistoryEntry {
  return {
    id: h.id,
    jobId: h.jobId,
    attempt: h.attempt,
    trigger: h.trigger,
    result: h.result,
    targetIndex: h.targetIndex,
    runnerId: h.runnerId,
    startedAt: h.startedAt.toISOString(),
    finishedAt: h.finishedAt.toISOString(),
    durationMs: h.durationMs,
    message: h.message,
    nextAttemptAt: iso(h.nextAttemptAt),
  };
}

/** Who is signed in to the console and until when (null times: the caller used a bearer token, not a session). */
export function presentConsoleSession(p: Principal, s: ConsoleSession | undefined): ApiConsoleSession {
  return {
    kind: p.kind,
    actor: p.actor,
    permission: p.permission,
    scope: { ...p.scope },
    createdAt: s ? s.createdAt.toISOString() : null,
    expiresAt: s ? s.expiresAt.toISOString() : null,
    idleExpiresAt: s ? s.idleExpiresAt.toISOString() : null,
  };
}

export function presentAudit(a: AuditRecord): ApiAuditLog {
  return {
    id: a.id,
    at: a.at.toISOString(),
    actor: a.actor,
    action: a.action,
    resourceType: a.resourceType,
    resourceId: a.resourceId,
    projectId: a.projectId,
    environment: a.environment,
    secretPath: a.secretPath,
    status: a.status,
    ip: a.ip,
    details: a.details,
  };
}

export type { ApiAuditLog, ApiConnection, ApiConsoleSession, ApiHistoryEntry, ApiIdentity, ApiRotation, ApiToken };

/** Who uses each of a rotation's users (GET …/:id?include=usage). */
export function presentUsage(u: UsageView): ApiUsage {
  return {
    checkedAt: u.checkedAt.toISOString(),
    users: u.users.map((x) => ({
      username: x.username,
      active: x.active,
      sessions: {
        count: x.sessions.count,
        hidden: x.sessions.hidden,
        clients: x.sessions.clients.map((c) => ({ applicationName: c.applicationName, clientAddr: c.clientAddr, count: c.count, since: iso(c.since), visible: c.visible })),
      },
      consumers: x.consumers.map((c) => ({ appName: c.appName, instanceId: c.instanceId, lastSeenAt: c.lastSeenAt.toISOString() })),
    })),
    ...(u.error !== undefined ? { error: u.error } : {}),
  };
}
