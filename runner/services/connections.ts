import type { Pool } from "pg";
import { aad, type Sealer } from "../crypto/seal";
import { AppError, notFound } from "../errors";
import { newId } from "../ids";
import type { Logger, Scrubber } from "../logger";
import type { PostgresStrategy } from "../postgres/strategy";
import * as store from "../store/connections";
import { sqlState, UNIQUE_VIOLATION } from "../sqlstate";
import { withTransaction } from "../store/db";
import type { AllowedScope, ConnectionRecord, ManagedBy } from "../store/rows";
import type { CreateConnectionInput, UpdateConnectionInput } from "../schemas";
import { assertUsersFree } from "../rotation/ownership";
import { listRotationsUsing, lockServerUsers } from "../store/rotations";
import { authorizeSight, authorizeUse, maySee } from "../auth/connection-use";
import type { Folder, Principal } from "../auth/principal";

export interface ConnectionDeps {
  pool: Pool;
  sealer: Sealer;
  strategy: PostgresStrategy;
  scrubber: Scrubber;
  logger: Logger;
}

/** The stored form of allowedScopes: every field present, null for "any". */
const scopesOf = (list: NonNullable<CreateConnectionInput["allowedScopes"]>): AllowedScope[] =>
  list.map((s) => ({ projectId: s.projectId, environment: s.environment ?? null, secretPath: s.secretPath ?? null }));

const duplicate = (name: string) => new AppError("Conflict", `An app connection named ${JSON.stringify(name)} already exists`);

/** App connections: validated with SELECT 1 before they are stored; the password is sealed at once. */
export class ConnectionService {
  constructor(private readonly d: ConnectionDeps) {}

  /** `managedBy`: the IaC tool that sent the request (X-Pgrotate-Managed-By), recorded on the connection. */
  async create(input: CreateConnectionInput, meta: { managedBy?: ManagedBy } = {}): Promise<ConnectionRecord> {
    const cr = input.credentials;
    this.d.scrubber.remember(cr.password);
    if (await store.connectionNameTaken(this.d.pool, input.name)) throw duplicate(input.name);
    const target = {
      ...cr,
      sslEnabled: cr.sslEnabled ?? false,
      sslRejectUnauthorized: cr.sslRejectUnauthorized ?? true,
      sslCertificate: cr.sslCertificate ?? null,
    };
    const serverId = await this.d.strategy.identify(target);
    const id = newId();
    try {
      const created = await store.insertConnection(this.d.pool, {
        id,
        name: input.name,
        description: input.description ?? null,
        ...target,
        serverId,
        passwordSealed: this.d.sealer.seal(cr.password, aad.connectionPassword(id)),
        managedBy: meta.managedBy ?? null,
        allowedScopes: scopesOf(input.allowedScopes ?? []),
      });
      this.d.logger.info({ connectionId: id, name: input.name }, "app connection created");
      return created;
    } catch (err) {
      throw sqlState(err) === UNIQUE_VIOLATION ? duplicate(input.name) : err;
    }
  }

  async get(id: string): Promise<ConnectionRecord> {
    const c = await store.findConnection(this.d.pool, id);
    if (!c) throw notFound("App connection", id);
    return c;
  }

  list(): Promise<ConnectionRecord[]> {
    return store.listConnections(this.d.pool);
  }

  /** The connection if `p` may see it (some folder of its scope is granted); 404 otherwise, as if it did not exist. */
  async getFor(p: Principal, id: string): Promise<ConnectionRecord> {
    const c = await this.get(id);
    authorizeSight(p, c);
    return c;
  }

  /** By name, the same way: 404 unless `p` may see it. */
  async getByNameFor(p: Principal, name: string): Promise<ConnectionRecord> {
    const c = await store.findConnectionByName(this.d.pool, name);
    if (!c || !maySee(p, c)) throw new AppError("NotFound", `App connection ${JSON.stringify(name.slice(0, 80))} was not found`);
    return c;
  }

  /** The connections `p` may see: every one for an unscoped principal, else those granted somewhere in its scope. */
  async listFor(p: Principal): Promise<ConnectionRecord[]> {
    return (await this.list()).filter((c) => maySee(p, c));
  }

  /**
   * The connection, when `p` may use it for a rotation in folder `f` (404 when it does not exist, 403 when it is not
   * granted there: auth/connection-use.ts). Routes call it before anything reaches the target and hand the record
   * they checked to the work, so the check and the use read the same row.
   */
  async usableFor(p: Principal, id: string, f: Folder): Promise<ConnectionRecord> {
    const c = await this.get(id);
    authorizeUse(p, c, f);
    return c;
  }

  /**
   * Merges the patch; when anything that reaches the target changes, the result is validated first, and it may
   * not make the connection role one of its rotations' users, nor move them to a server where another rotation
   * owns the same users. An IaC tool's update (meta.managedBy) marks the connection as managed by it; anyone
   * else's keeps the mark.
   */
  async update(id: string, patch: UpdateConnectionInput, meta: { managedBy?: ManagedBy } = {}): Promise<ConnectionRecord> {
    const current = await this.get(id);
    const p = patch.credentials ?? {};
    if (p.password) this.d.scrubber.remember(p.password);
    const password = p.password ?? this.d.sealer.open(current.passwordSealed, aad.connectionPassword(id));
    const next = {
      host: p.host ?? current.host,
      port: p.port ?? current.port,
      database: p.database ?? current.database,
      username: p.username ?? current.username,
      password,
      sslEnabled: p.sslEnabled ?? current.sslEnabled,
      sslRejectUnauthorized: p.sslRejectUnauthorized ?? current.sslRejectUnauthorized,
      // null clears the CA (back to the system trust store); absent keeps it.
      sslCertificate: p.sslCertificate === undefined ? current.sslCertificate : p.sslCertificate,
    };
    const serverId = Object.keys(p).length ? await this.d.strategy.identify(next) : current.serverId;
    try {
      return await withTransaction(this.d.pool, async (c) => {
        const locked = await store.lockConnection(c, id);
        if (!locked) throw notFound("App connection", id);
        const using = await listRotationsUsing(c, id);
        const clash = using.find((r) => r.username1 === next.username || r.username2 === next.username);
        if (clash) {
          throw new AppError(
            "ValidationError",
            `credentials.username: ${JSON.stringify(next.username)} is rotated by secret rotation ${clash.name}, which uses this connection; ` +
              "the connection role must not be one of its own rotations' users (its password would change under pgrotate).",
            { details: [{ path: "credentials.username", message: "must not be a user a rotation of this connection rotates" }] },
          );
        }
        const rotated = using.flatMap((r) => [r.username1, r.username2]);
        if (serverId && serverId !== current.serverId && rotated.length) {
          await lockServerUsers(c, serverId);
          await assertUsersFree(c, { serverId, connectionIds: [], usernames: rotated, exceptConnectionId: id });
        }
        return store.updateConnection(c, {
          id,
          name: patch.name ?? current.name,
          description: patch.description === undefined ? current.description : patch.description,
          ...next,
          serverId,
          passwordSealed: this.d.sealer.seal(password, aad.connectionPassword(id)),
          managedBy: meta.managedBy ?? current.managedBy,
          // The list given replaces the stored one; absent keeps it (as it is under the lock: a grant is never lost).
          allowedScopes: patch.allowedScopes === undefined ? locked.allowedScopes : scopesOf(patch.allowedScopes),
        });
      });
    } catch (err) {
      throw sqlState(err) === UNIQUE_VIOLATION ? duplicate(patch.name ?? current.name) : err;
    }
  }

  /**
   * Learns the server of connections stored before servers were recorded (at start, in the background): a
   * connection that cannot be reached now is tried again at the next start or validation.
   */
  async recordMissingServers(): Promise<number> {
    let recorded = 0;
    for (const conn of await store.connectionsWithoutServerId(this.d.pool)) {
      try {
        const password = this.d.sealer.open(conn.passwordSealed, aad.connectionPassword(conn.id));
        this.d.scrubber.remember(password);
        await store.setServerId(this.d.pool, conn.id, await this.d.strategy.identify({ ...conn, password }));
        recorded++;
      } catch (err) {
        this.d.logger.warn({ connectionId: conn.id, err }, "could not learn which server an app connection reaches; will try again");
      }
    }
    return recorded;
  }

  /** 409 while a rotation uses it. */
  async delete(id: string): Promise<ConnectionRecord> {
    return withTransaction(this.d.pool, async (c) => {
      const current = await store.lockConnection(c, id);
      if (!current) throw notFound("App connection", id);
      const n = await store.countRotationsUsing(c, id);
      if (n > 0) {
        throw new AppError("Conflict", `App connection ${current.name} is used by ${n} secret rotation(s); delete them first`);
      }
      await store.deleteConnection(c, id);
      return current;
    });
  }
}
