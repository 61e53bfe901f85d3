/**
 * The audit log: every change, every secret read, every refused request — who, what, when, never a value.
 * Written after the response is sent, in batches, so it never slows or fails a request.
 */
import type { RequestHandler, Response } from "express";
import type { Pool } from "pg";
import type { Logger } from "../logger";
import { isDataException, sqlState } from "../sqlstate";
import { type AuditRecord, type AuditRow, insertAuditRows, listAudit } from "../store/audit";
import type { Principal } from "./principal";

export interface AuditNote {
  /** e.g. "secrets.read", "rotation.rotate"; default: "<METHOD> <route>". */
  action?: string;
  resourceType?: string;
  resourceId?: string;
  folder?: { projectId: string; environment: string; secretPath: string };
  /** Always recorded, even for a GET (secret reads). */
  secretRead?: boolean;
  /** A repeat that changed nothing (a consumer's heartbeat): recorded only when refused, like a GET. */
  routine?: boolean;
  details?: Record<string, unknown>;
}

export const audit = (res: Response, note: AuditNote): void => {
  res.locals.audit = { ...(res.locals.audit as AuditNote | undefined), ...note };
};


/** PostgreSQL text cannot hold NUL (nor can jsonb hold \u0000): an audit row must always be writable. */
const NUL = String.fromCharCode(0);
const cleanText = (v: string): string => v.replaceAll(NUL, "\uFFFD").replaceAll("\\u0000", "\\ufffd");
const clean = (row: AuditRow): AuditRow => row.map((v) => (typeof v === "string" ? cleanText(v) : v)) as AuditRow;

/** An audit row cleaned for the store, with the key identical rows share (AuditWriter.prepare). */
export interface PreparedAuditRow {
  readonly row: AuditRow;
  readonly key: string;
}

interface Pending {
  row: AuditRow;
  /** Identical rows (same actor, action, folder, status, names, address) within one flush window. */
  count: number;
}

/**
 * Buffers audit rows and writes them in one multi-row INSERT every FLUSH_MS (or every MAX_BATCH rows), so a
 * busy secret-read path costs one store write per batch, not per request. Identical rows within a window are
 * written once with `details.count` (an app polling its secret 1,000 times a second is one row per 100 ms).
 * stop() writes what is left.
 */
/** Folds the count of identical rows into the details column (index 9). */
function withCount(p: Pending): AuditRow {
  if (p.count === 1) return p.row;
  const details = typeof p.row[9] === "string" ? (JSON.parse(p.row[9]) as Record<string, unknown>) : {};
  const row: AuditRow = [...p.row];
  row[9] = JSON.stringify({ ...details, count: p.count });
  return row;
}

export class AuditWriter {
  private buffer: Pending[] = [];
  private window = new Map<string, Pending>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  static readonly FLUSH_MS = 100;
  static readonly MAX_BATCH = 500;
  static readonly MAX_BUFFER = 50_000;

  constructor(private readonly d: { pool: Pool; logger: Logger }) {}

  add(row: AuditRow): void {
    this.addPrepared(AuditWriter.prepare(row));
  }

  /** A row made writable and given its identity, once: a caller that writes the same row again keeps it. */
  static prepare(row: AuditRow): PreparedAuditRow {
    const cleaned = clean(row);
    return { row: cleaned, key: JSON.stringify(cleaned) };
  }

  addPrepared(p: PreparedAuditRow): void {
    if (this.buffer.length >= AuditWriter.MAX_BUFFER) {
      this.d.logger.error("audit buffer full (store unavailable?); dropping the oldest rows");
      this.buffer.splice(0, AuditWriter.MAX_BATCH);
    }
    const { row: cleaned, key } = p;
    const same = this.window.get(key);
    if (same) {
      same.count++;
      return;
    }
    const entry = { row: cleaned, count: 1 };
    this.window.set(key, entry);
    this.buffer.push(entry);
    if (this.buffer.length >= AuditWriter.MAX_BATCH) void this.flush();
    else if (!this.timer) this.timer = setTimeout(() => void this.flush(), AuditWriter.FLUSH_MS);
  }

  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.buffer.splice(0, AuditWriter.MAX_BATCH).map(withCount);
    this.window = new Map();
    if (!rows.length) return this.flushing;
    this.flushing = this.flushing.then(() => this.write(rows));
    if (this.buffer.length) void this.flush();
    return this.flushing;
  }

  private async write(rows: AuditRow[]): Promise<void> {
    try {
      await this.insert(rows);
    } catch (err) {
      const dataError = isDataException(sqlState(err));
      if (rows.length > 1 && dataError) {
        // A data error in one row must not stop the log: write row by row, drop only what cannot be stored.
        for (const row of rows) {
          await this.insert([row]).catch((e) => this.d.logger.error({ err: e, action: row[1] }, "dropped an audit row the store cannot hold"));
        }
        return;
      }
      if (dataError) {
        this.d.logger.error({ err, action: rows[0]?.[1] }, "dropped an audit row the store cannot hold");
        return;
      }
      // Keep them for the next flush (bounded by MAX_BUFFER) rather than lose the record of a secret read.
      this.buffer.unshift(...rows.map((row) => ({ row, count: 1 })));
      this.d.logger.error({ err }, "could not write audit rows; will retry");
      if (!this.timer) this.timer = setTimeout(() => void this.flush(), 1000);
    }
  }

  private insert(rows: AuditRow[]): Promise<void> {
    return insertAuditRows(this.d.pool, rows);
  }

  /** The newest rows, including what this runner still buffers. */
  async list(q: { limit: number; offset: number; actor?: string; action?: string }): Promise<AuditRecord[]> {
    await this.flush();
    return listAudit(this.d.pool, q);
  }

  async stop(): Promise<void> {
    await this.flush();
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** One audit_logs row (the column order of AuditWriter.insert). */
export function auditRow(a: { principal?: Principal; action: string; note: AuditNote; resourceId: string | null; status: number; ip: string | null }): AuditRow {
  const { note } = a;
  return [
    a.principal?.actor ?? "anonymous",
    note.action ?? a.action,
    note.resourceType ?? null,
    note.resourceId ?? a.resourceId,
    note.folder?.projectId ?? null,
    note.folder?.environment ?? null,
    note.folder?.secretPath ?? null,
    a.status,
    a.ip,
    note.details ? JSON.stringify(note.details) : null,
  ];
}

export function auditMiddleware(writer: AuditWriter): RequestHandler {
  return function auditTrail(req, res, next) {
    res.on("finish", () => {
      const note = (res.locals.audit ?? {}) as AuditNote;
      const refused = res.statusCode === 401 || res.statusCode === 403;
      if (((req.method === "GET" && !note.secretRead) || note.routine) && !refused) return;
      const matched = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof matched === "string" ? `${req.baseUrl}${matched}` : req.path.slice(0, 200);
      writer.add(auditRow({
        principal: res.locals.principal as Principal | undefined,
        action: `${req.method} ${route}`,
        note,
        resourceId: typeof req.params?.id === "string" ? req.params.id.slice(0, 64) : null,
        status: res.statusCode,
        ip: req.ip ?? null,
      }));
    });
    next();
  };
}
