/** Response shapes (Infisical's field names). Nothing secret is ever part of these. */
import { derivedId } from "../ids";
import type { ConnectionRecord, RotationRecord } from "../store/rows";

export const ROTATION_TYPE = "postgres-credentials";

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function presentConnection(c: ConnectionRecord) {
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    app: "postgres",
    method: c.method,
    version: c.version,
    isPlatformManagedCredentials: false,
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

export function presentRotation(r: RotationRecord) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    type: ROTATION_TYPE,
    projectId: r.projectId,
    connectionId: r.connectionId,
    connection: { app: "postgres", name: r.connectionName, id: r.connectionId },
    environment: { slug: r.environment, name: r.environment, id: derivedId("environment", r.projectId, r.environment) },
    folder: { id: derivedId("folder", r.projectId, r.environment, r.secretPath), path: r.secretPath },
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
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

export type ApiRotation = ReturnType<typeof presentRotation>;
export type ApiConnection = ReturnType<typeof presentConnection>;
