/**
 * What every command gets from the global options: the output, the runner client (with the token from
 * --token, PGROTATE_TOKEN or, for a runner on this host, the data directory's admin.token) and the folder
 * rotation names are looked up in.
 */
import fs from "node:fs";
import path from "node:path";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { z } from "zod";
import { RunnerApiError, RunnerClient } from "../../provider/client";
import { fetchForCaFile } from "../../provider/trust";
import { UsageError } from "./errors";
import { Output } from "./output";

const globalsSchema = z.object({
  url: z.string(),
  token: z.string().optional(),
  caFile: z.string().optional(),
  project: z.string(),
  environment: z.string(),
  path: z.string(),
  json: z.boolean().optional(),
  color: z.boolean(),
  yes: z.boolean().optional(),
});
type Globals = z.infer<typeof globalsSchema>;

export interface FolderRef {
  projectId: string;
  environment: string;
  secretPath: string;
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/** NO_COLOR (no-color.org) wins; FORCE_COLOR turns colour on without a terminal. */
function wantsColor(flag: boolean): boolean {
  if (!flag || process.env.NO_COLOR) return false;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== "") return force !== "0" && force !== "false";
  return process.stdout.isTTY === true;
}

export class CliContext {
  readonly out: Output;
  readonly yes: boolean;
  private readonly g: Globals;
  private readonly base: URL;
  private trusting?: { fetch: typeof fetch | undefined };

  constructor(private readonly cmd: CommandUnknownOpts) {
    this.g = globalsSchema.parse(cmd.optsWithGlobals());
    this.out = new Output({ json: this.g.json === true, color: wantsColor(this.g.color) });
    this.yes = this.g.yes === true;
    let base: URL;
    try {
      base = new URL(this.g.url);
    } catch {
      throw new UsageError(`--url ${JSON.stringify(this.g.url.slice(0, 200))} is not a URL (e.g. http://127.0.0.1:8080)`);
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") throw new UsageError(`--url must start with http:// or https:// (got ${base.protocol})`);
    this.base = base;
  }

  /** A client for the routes that need a token (exit 2 when there is none). */
  client(opts: { timeoutMs?: number } = {}): RunnerClient {
    const token = this.g.token || this.localAdminToken();
    if (!token) {
      throw new UsageError(
        "No token: pass --token or set PGROTATE_TOKEN" +
          (this.isLocal() ? ` (or run where the runner's ${this.adminTokenFile()} is readable)` : ""),
      );
    }
    return new RunnerClient({ url: this.base.href, token, timeoutMs: opts.timeoutMs, fetch: this.fetch() });
  }

  /** A client for the routes that need no token (/readyz, /healthz, /openapi.json). */
  publicClient(opts: { timeoutMs?: number } = {}): RunnerClient {
    return new RunnerClient({ url: this.base.href, requireToken: false, timeoutMs: opts.timeoutMs, fetch: this.fetch() });
  }

  /** The fetch trusting --ca-file / PGROTATE_CA_FILE when given (read once; an unreadable file is a usage error). */
  private fetch(): typeof fetch | undefined {
    try {
      this.trusting ??= { fetch: fetchForCaFile(this.g.caFile, "--ca-file / PGROTATE_CA_FILE") };
    } catch (err) {
      throw err instanceof RunnerApiError ? new UsageError(err.message) : err;
    }
    return this.trusting.fetch;
  }

  /** The folder a rotation's name is looked up in: --project, --environment, --path (default default, dev, /). */
  folder(): FolderRef {
    return { projectId: this.g.project, environment: this.g.environment, secretPath: this.g.path };
  }

  /** Only the folder fields given on the command line: list filters and token scopes ("any" otherwise). */
  givenFolder(): Partial<FolderRef> {
    const given = (k: "project" | "environment" | "path") => this.cmd.getOptionValueSourceWithGlobals(k) === "cli";
    return {
      ...(given("project") ? { projectId: this.g.project } : {}),
      ...(given("environment") ? { environment: this.g.environment } : {}),
      ...(given("path") ? { secretPath: this.g.path } : {}),
    };
  }

  private isLocal(): boolean {
    return LOCAL_HOSTS.has(this.base.hostname) || /^127\.\d+\.\d+\.\d+$/.test(this.base.hostname);
  }

  private adminTokenFile(): string {
    return path.resolve(process.env.PGROTATE_DATA_DIR || "./.pgrotate", "admin.token");
  }

  /** The data directory's admin token, only for a runner on this host (a remote runner has another one). */
  private localAdminToken(): string | undefined {
    if (!this.isLocal()) return undefined;
    try {
      return fs.readFileSync(this.adminTokenFile(), "utf8").trim() || undefined;
    } catch {
      return undefined;
    }
  }
}

/** The context of the command an action runs for (commander passes the command last). */
export const contextOf = (cmd: CommandUnknownOpts): CliContext => new CliContext(cmd);
