/**
 * Reads from the target's catalogs what the pair check compares (pair-check.ts), as the connection role:
 * pg_roles, pg_auth_members, pg_db_role_setting, the ACLs of databases, schemas, relations, columns and
 * routines, pg_default_acl, pg_policy and pg_shdepend are readable by any role, so no extra right is needed.
 * Read-only; every statement is one round trip.
 */
import type { ClientBase, QueryResultRow } from "pg";
import { AppError } from "../errors";
import { BOOLEAN_ATTRIBUTES, type DefaultObjectType, groupNameCandidates, type PairFacts, type PrivilegeKind, type UserFacts } from "./pair-check";
import { quoteIdent as q } from "./sql-text";

interface RoleRow {
  rolname: string;
  rolsuper: boolean;
  rolinherit: boolean;
  rolcreaterole: boolean;
  rolcreatedb: boolean;
  rolcanlogin: boolean;
  rolreplication: boolean;
  rolbypassrls: boolean;
  rolconnlimit: number;
  valid_until: string | null;
  valid_until_epoch: number | null;
}

interface MembershipRow {
  member: string;
  role: string;
  role_can_login: boolean;
  admin: boolean;
  inherit: boolean | null;
  set: boolean | null;
}

interface SettingRow {
  rolname: string;
  datname: string | null;
  setconfig: string[];
}

interface PrivilegeRow {
  rolname: string;
  kind: PrivilegeKind;
  object: string;
  col: string | null;
  privilege_type: string;
  is_grantable: boolean;
}

interface DefaultAclRow {
  owner: string;
  schema: string | null;
  objtype: DefaultObjectType;
  grantee: string;
  privilege_type: string;
  is_grantable: boolean;
}

interface PolicyRow {
  tbl: string;
  name: string;
  roles: string[];
}

interface OwnedRow {
  rolname: string;
  here: boolean;
  datname: string | null;
  type: string | null;
  identity: string | null;
  linked: boolean;
}

const ROLES = `
  SELECT rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit,
         CASE WHEN rolvaliduntil IS NULL OR rolvaliduntil = 'infinity' THEN NULL ELSE rolvaliduntil::text END AS valid_until,
         CASE WHEN rolvaliduntil IS NULL OR rolvaliduntil = 'infinity' THEN NULL ELSE extract(epoch FROM rolvaliduntil)::float8 END AS valid_until_epoch
  FROM pg_roles WHERE rolname = ANY($1)`;

/** Membership options per role (several grantors fold into one: any grant with an option gives it). */
const membershipsSql = (v16: boolean) => `
  SELECT m.rolname AS member, g.rolname AS role, g.rolcanlogin AS role_can_login, bool_or(a.admin_option) AS admin,
         ${v16 ? "bool_or(a.inherit_option)" : "NULL::boolean"} AS inherit, ${v16 ? "bool_or(a.set_option)" : "NULL::boolean"} AS set
  FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member JOIN pg_roles g ON g.oid = a.roleid
  WHERE m.rolname = ANY($1) GROUP BY 1, 2, 3`;

const SETTINGS = `
  SELECT r.rolname, d.datname, s.setconfig
  FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole LEFT JOIN pg_database d ON d.oid = s.setdatabase
  WHERE r.rolname = ANY($1)`;

/** Direct grants to the users: databases (all, the catalog is shared), and this database's schemas, relations, columns and routines. */
const PRIVILEGES = `
  WITH u AS (SELECT oid, rolname FROM pg_roles WHERE rolname = ANY($1)),
  acl AS (
    SELECT 'database' AS kind, quote_ident(d.datname) AS object, NULL::text AS col, x.grantee, x.privilege_type, x.is_grantable
      FROM pg_database d, aclexplode(d.datacl) x WHERE x.grantee IN (SELECT oid FROM u)
    UNION ALL
    SELECT 'schema', quote_ident(n.nspname), NULL, x.grantee, x.privilege_type, x.is_grantable
      FROM pg_namespace n, aclexplode(n.nspacl) x WHERE x.grantee IN (SELECT oid FROM u)
    UNION ALL
    SELECT CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END, (pg_identify_object('pg_class'::regclass, c.oid, 0)).identity, NULL,
           x.grantee, x.privilege_type, x.is_grantable
      FROM pg_class c, aclexplode(c.relacl) x WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND x.grantee IN (SELECT oid FROM u)
    UNION ALL
    SELECT 'column', (pg_identify_object('pg_class'::regclass, c.oid, 0)).identity, quote_ident(a.attname), x.grantee, x.privilege_type, x.is_grantable
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid, aclexplode(a.attacl) x
      WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND x.grantee IN (SELECT oid FROM u)
    UNION ALL
    SELECT 'function', (pg_identify_object('pg_proc'::regclass, p.oid, 0)).identity, NULL, x.grantee, x.privilege_type, x.is_grantable
      FROM pg_proc p, aclexplode(p.proacl) x WHERE x.grantee IN (SELECT oid FROM u))
  SELECT u.rolname, acl.kind, acl.object, acl.col, acl.privilege_type, acl.is_grantable FROM acl JOIN u ON u.oid = acl.grantee`;

const DEFAULT_ACL = `
  SELECT o.rolname AS owner, n.nspname AS schema, d.defaclobjtype::text AS objtype, coalesce(g.rolname, 'PUBLIC') AS grantee,
         x.privilege_type, x.is_grantable
  FROM pg_default_acl d JOIN pg_roles o ON o.oid = d.defaclrole LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace,
       aclexplode(d.defaclacl) x LEFT JOIN pg_roles g ON g.oid = x.grantee
  WHERE o.rolname = ANY($1) OR g.rolname = ANY($1)`;

const POLICIES = `
  SELECT (pg_identify_object('pg_class'::regclass, p.polrelid, 0)).identity AS tbl, quote_ident(p.polname) AS name,
         array(SELECT CASE WHEN r = 0 THEN 'public' ELSE (SELECT rolname::text FROM pg_roles WHERE oid = r) END FROM unnest(p.polroles) r)::text[] AS roles
  FROM pg_policy p WHERE p.polroles && array(SELECT oid FROM pg_roles WHERE rolname = ANY($1))`;

/**
 * Objects the users own (pg_shdepend, deptype 'o'). Objects in other databases can only be counted; a sequence
 * that belongs to a table column (serial, identity) changes owner with its table.
 */
const OWNED = `
  WITH o AS (
    SELECT r.rolname, d.classid, d.objid, d.dbid, db.datname,
           d.dbid = 0 OR d.dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AS here
    FROM pg_shdepend d JOIN pg_roles r ON r.oid = d.refobjid LEFT JOIN pg_database db ON db.oid = d.dbid
    WHERE d.refclassid = 'pg_authid'::regclass AND d.deptype = 'o' AND r.rolname = ANY($1))
  SELECT o.rolname, o.here, o.datname, i.type, i.identity,
         o.here AND o.classid = 'pg_class'::regclass AND EXISTS (
           SELECT 1 FROM pg_depend p WHERE p.classid = o.classid AND p.objid = o.objid AND p.refclassid = 'pg_class'::regclass AND p.deptype IN ('a', 'i')) AS linked
  FROM o LEFT JOIN LATERAL (SELECT * FROM pg_identify_object(o.classid, o.objid, 0) WHERE o.here) i ON true`;

/** Reads both users' facts. Throws PrecheckFailed (422) naming a role that does not exist. */
export async function readPairFacts(c: ClientBase, usernames: [string, string]): Promise<PairFacts> {
  const info = (await c.query<{ db: string; num: number }>("SELECT current_database() AS db, current_setting('server_version_num')::int AS num")).rows[0];
  const rows = async <R extends QueryResultRow>(text: string, values: unknown[] = [usernames]) => (await c.query<R>(text, values)).rows;
  const roles = await rows<RoleRow>(ROLES);
  const memberships = await rows<MembershipRow>(membershipsSql(info.num >= 160000));
  const settings = await rows<SettingRow>(SETTINGS);
  const privileges = await rows<PrivilegeRow>(PRIVILEGES);
  const defaults = await rows<DefaultAclRow>(DEFAULT_ACL);
  const policies = await rows<PolicyRow>(POLICIES);
  const owned = await rows<OwnedRow>(OWNED);
  const existing = await rows<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE rolname = ANY($1)", [groupNameCandidates(usernames[0], usernames[1])]);
  const absent = usernames.filter((u) => !roles.some((r) => r.rolname === u));
  if (absent.length) {
    throw new AppError("PrecheckFailed", `The target has no role named ${absent.map(q).join(" or ")}. Create it first, e.g. CREATE ROLE ${q(absent[0])} LOGIN;`, {
      details: { missing: absent.map((u) => `role ${q(u)}`), sql: absent.map((u) => `CREATE ROLE ${q(u)} LOGIN;`) },
    });
  }

  const user = (name: string): UserFacts => {
    const r = roles.find((x) => x.rolname === name)!;
    const flags: Record<(typeof BOOLEAN_ATTRIBUTES)[number], boolean> = {
      SUPERUSER: r.rolsuper,
      CREATEDB: r.rolcreatedb,
      CREATEROLE: r.rolcreaterole,
      REPLICATION: r.rolreplication,
      BYPASSRLS: r.rolbypassrls,
      LOGIN: r.rolcanlogin,
      INHERIT: r.rolinherit,
    };
    return {
      name,
      attributes: flags,
      connectionLimit: r.rolconnlimit,
      validUntil: r.valid_until === null || r.valid_until_epoch === null ? null : { text: r.valid_until, epoch: r.valid_until_epoch },
      memberships: memberships
        .filter((m) => m.member === name)
        .map((m) => ({ role: m.role, roleCanLogin: m.role_can_login, admin: m.admin, inherit: m.inherit, set: m.set })),
      settings: settings
        .filter((s) => s.rolname === name)
        .flatMap((s) =>
          s.setconfig.map((kv) => {
            const i = kv.indexOf("=");
            return { database: s.datname, name: kv.slice(0, i), value: kv.slice(i + 1) };
          }),
        ),
      privileges: privileges
        .filter((p) => p.rolname === name)
        .map((p) => ({ kind: p.kind, object: p.object, column: p.col, privilege: p.privilege_type, grantable: p.is_grantable })),
      defaultPrivileges: defaults
        .filter((d) => d.owner === name || d.grantee === name)
        .map((d) => ({ owner: d.owner, schema: d.schema, objtype: d.objtype, grantee: d.grantee, privilege: d.privilege_type, grantable: d.is_grantable })),
      owned: owned
        .filter((o) => o.rolname === name)
        .map((o) => ({ here: o.here, database: o.datname, type: o.type, identity: o.identity, linkedToTable: o.linked })),
    };
  };
  return {
    database: info.db,
    serverVersionNum: info.num,
    users: [user(usernames[0]), user(usernames[1])],
    policies: policies.map((p) => ({ table: p.tbl, name: p.name, roles: p.roles })),
    existingRoles: existing.map((r) => r.rolname),
  };
}
