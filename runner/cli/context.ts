/**
 * What every command gets from the global options: the output, the runner client (with the token from
 * --token, PGROTATE_TOKEN, the profile `pgrotate login` saved or, for a runner on this host, the data directory's
 * admin.token) and the folder rotation names are looked up in.
 *
 * A profile (--profile / PGROTATE_PROFILE, else the one named "default" if saved) gives the URL, CA file and
 * credentials that no flag or environment variable gives. Its credentials go only to its own URL: with another
 * --url / PGROTATE_URL they are not sent.
 */
import fs from "node:fs";
import path from "node:path";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { z } from "zod";
import { RunnerApiError, RunnerClient } from "../../provider/client";
import { fetchForCaFile } from "../../provider/trust";
import { UsageError } from "./errors";
import { Output } from "./output";
import { DEFAULT_PROFILE, profilesFile, readProfiles, type Profile } from "./profiles";

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
  profile: z.string().optional(),
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
  private readonly caFile: string | undefined;
  /** The profile's credentials, when it is the runner of --url (its own URL). */
  private readonly credentials: Pick<Profile, "token" | "clientId" | "clientSecret"> = {};
  private trusting?: { fetch: typeof fetch | undefined };
  private identityToken?: Promise<string>;

  /** `profiles: false` (login): the saved profiles are not read (login writes one). */
  constructor(
    private readonly cmd: CommandUnknownOpts,
    opts: { profiles?: boolean } = {},
  ) {
    this.g = globalsSchema.parse(cmd.optsWithGlobals());
    this.out = new Output({ json: this.g.json === true, color: wantsColor(this.g.color) });
    this.yes = this.g.yes === true;
    const profile = opts.profiles === false ? undefined : this.profile();
    const url = this.given("url") || !profile ? this.g.url : profile.url;
    this.caFile = this.given("caFile") || !profile ? this.g.caFile : profile.caFile;
    let base: URL;
    try {
      base = new URL(url);
    } catch {
      throw new UsageError(`--url ${JSON.stringify(url.slice(0, 200))} is not a URL (e.g. http://127.0.0.1:8080)`);
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") throw new UsageError(`--url must start with http:// or https:// (got ${base.protocol})`);
    this.base = base;
    if (profile && base.href === new URL(profile.url).href) this.credentials = profile;
  }

  /** What `login` saves: the profile's name and the URL, CA file and token given by flags or environment. */
  loginSettings(): { profile: string; url: string; caFile?: string; token?: string } {
    return { profile: this.g.profile ?? DEFAULT_PROFILE, url: this.g.url, caFile: this.g.caFile, token: this.g.token };
  }

  /** The profile --profile / PGROTATE_PROFILE names (an unknown one is a usage error), else "default" if saved. */
  private profile(): Profile | undefined {
    const name = this.g.profile;
    const profiles = readProfiles();
    if (name === undefined) return profiles[DEFAULT_PROFILE];
    const found = profiles[name];
    if (!found) throw new UsageError(`No profile ${JSON.stringify(name.slice(0, 100))} in ${profilesFile()}: save one with pgrotate login --profile ${name} --url <runner URL>`);
    return found;
  }

  /** Given on the command line or by its environment variable (which win over a profile). */
  private given(key: "url" | "caFile" | "token"): boolean {
    const source = this.cmd.getOptionValueSourceWithGlobals(key);
    return source === "cli" || source === "env";
  }

  /** A client for the routes that need a token (exit 2 when there is none). */
  client(opts: { timeoutMs?: number } = {}): RunnerClient {
    const { clientId, clientSecret } = this.credentials;
    const token = this.g.token || this.credentials.token;
    if (!token && clientId && clientSecret) {
      return new RunnerClient({ url: this.base.href, requireToken: false, timeoutMs: opts.timeoutMs, fetch: this.identityFetch(clientId, clientSecret) });
    }
    const chosen = token || this.localAdminToken();
    if (!chosen) {
      throw new UsageError(
        "No token: pass --token or set PGROTATE_TOKEN, or save a profile with pgrotate login" +
          (this.isLocal() ? ` (or run where the runner's ${this.adminTokenFile()} is readable)` : ""),
      );
    }
    return new RunnerClient({ url: this.base.href, token: chosen, timeoutMs: opts.timeoutMs, fetch: this.fetch() });
  }

  /**
   * A fetch that sends a machine identity's access token: the profile's client id and secret are exchanged for
   * one (universal-auth login) on the first request of this command; a refused login is the runner's answer.
   */
  private identityFetch(clientId: string, clientSecret: string): typeof fetch {
    const base = this.fetch() ?? ((input: Parameters<typeof fetch>[0], init?: RequestInit) => fetch(input, init));
    return async (input, init) => {
      this.identityToken ??= this.publicClient()
        .login(clientId, clientSecret)
        .then((r) => r.accessToken);
      const headers = new Headers(init?.headers);
      headers.set("authorization", `Bearer ${await this.identityToken}`);
      return base(input, { ...init, headers });
    };
  }

  /** A client for the routes that need no token (/readyz, /healthz, /openapi.json). */
  publicClient(opts: { timeoutMs?: number } = {}): RunnerClient {
    return new RunnerClient({ url: this.base.href, requireToken: false, timeoutMs: opts.timeoutMs, fetch: this.fetch() });
  }

  /** The fetch trusting --ca-file / PGROTATE_CA_FILE when given (read once; an unreadable file is a usage error). */
  trustingFetch(): typeof fetch | undefined {
    return this.fetch();
  }

  private fetch(): typeof fetch | undefined {
    try {
      this.trusting ??= { fetch: fetchForCaFile(this.caFile, "--ca-file / PGROTATE_CA_FILE (or the profile's CA file)") };
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
export const contextOf = (cmd: CommandUnknownOpts, opts: { profiles?: boolean } = {}): CliContext => new CliContext(cmd, opts);
