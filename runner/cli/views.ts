/** How the runner's objects read in human output (the JSON output is the API's own objects). */
import type { ApiConnection, ApiRotation, ApiUsage, ProjectFreeze } from "../../provider/client";
import { describeWindow, nextOpening } from "../rotation/window";
import { rotationStatusWord } from "../../provider/status-words";
import type { Output } from "./output";
import { allowedScopesLabel } from "./scope";

/** What stands for a password or secret value not asked for with --show. */
export const HIDDEN = "******** (--show)";

export const folderLabel = (f: { projectId: string; environment: string; secretPath: string }): string => `${f.projectId}/${f.environment}${f.secretPath === "/" ? "/" : f.secretPath}`;

export const rotationFolder = (r: ApiRotation): string => folderLabel({ projectId: r.projectId, environment: r.environment.slug, secretPath: r.folder.path });

export const activeUser = (r: ApiRotation): string => (r.activeIndex === 0 ? r.parameters.username1 : r.parameters.username2);

const hhmm = (t: { hours: number; minutes: number }) => `${String(t.hours).padStart(2, "0")}:${String(t.minutes).padStart(2, "0")}`;

export function statusWord(out: Output, r: ApiRotation): string {
  const { word, tone } = rotationStatusWord(r);
  return out.style(word, tone);
}

export function schedule(r: ApiRotation): string {
  const every = r.rotationInterval === 1 ? "every day" : `every ${r.rotationInterval} days`;
  return r.rotateAtUtc ? `${every} at ${hhmm(r.rotateAtUtc)} UTC` : `${every} at ${hhmm(r.rotateAt)} ${r.timeZone}`;
}

export function rotationTable(out: Output, rotations: ApiRotation[]): void {
  out.table(
    ["NAME", "FOLDER", "STATUS", "ACTIVE USER", "LAST ROTATED", "NEXT ROTATION", "ID"],
    rotations.map((r) => [r.name, rotationFolder(r), statusWord(out, r), activeUser(r), out.ago(r.lastRotatedAt, "never"), out.when(r.nextRotationAt), r.id]),
    "No rotations.",
  );
}

/** `freeze`: the rotation's project's, when known (rotations get). */
export function rotationBlock(out: Output, r: ApiRotation, freeze?: ProjectFreeze): void {
  const pairs: Array<[string, string]> = [
    ["Name", r.name],
    ["ID", r.id],
    ["Folder", rotationFolder(r)],
    ["Status", statusWord(out, r)],
    ["Active user", `${activeUser(r)} (username${r.activeIndex + 1})`],
    ["Users", `${r.parameters.username1}, ${r.parameters.username2}`],
    ["Connection", `${r.connection.name} (${r.connectionId})`],
    ["Schedule", `${schedule(r)}${r.isAutoRotationEnabled ? "" : " (auto-rotation disabled)"}`],
    ["Last rotated", out.when(r.lastRotatedAt, "never")],
    ["Next rotation", out.when(r.nextRotationAt, r.isAutoRotationEnabled ? "—" : "never (auto-rotation disabled)")],
    ["Secrets", `${r.secretsMapping.username} (username), ${r.secretsMapping.password} (password)`],
  ];
  if (r.description) pairs.splice(1, 0, ["Description", r.description]);
  const at = pairs.findIndex(([k]) => k === "Next rotation");
  pairs.splice(at + 1, 0, ...rotationWindowFields(out, r, freeze));
  if (r.rotationStatus === "held") pairs.push(["Held", `since ${out.when(r.heldSince)} by ${r.heldBy ?? "someone"} (at most ${r.maxHoldHours} h)`]);
  else pairs.push(["Max hold", r.maxHoldHours === 0 ? "never waits" : `${r.maxHoldHours} h`]);
  if (r.lastRotationMessage) pairs.push(["Last message", out.style(r.lastRotationMessage, r.rotationStatus === "failed" ? "danger" : "dim")]);
  pairs.push(["Created", out.when(r.createdAt)]);
  out.fields(pairs);
}

/** The window (and when it opens next) and the project's freeze, when there are. */
function rotationWindowFields(out: Output, r: ApiRotation, freeze?: ProjectFreeze): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (r.rotationWindow) {
    const opens = nextOpening(r.rotationWindow, r.timeZone, new Date());
    const now = opens !== null && opens.getTime() <= Date.now() + 1000;
    pairs.push(["Window", describeWindow(r.rotationWindow, r.timeZone)]);
    pairs.push(["Window opens", now ? "open now" : out.when(opens?.toISOString(), "never again")]);
  }
  if (freeze?.frozen) {
    pairs.push(["Project", out.style(`frozen since ${out.when(freeze.frozenAt)} by ${freeze.frozenBy ?? "?"}: ${freeze.frozenReason ?? ""} (no scheduled rotation runs)`, "danger")]);
  }
  return pairs;
}

/** Who uses each of a rotation's users (GET …?include=usage): sessions by application and address, consumers. */
export function usageBlock(out: Output, u: ApiUsage): void {
  out.line("");
  if (u.error) return out.fields([["Who uses them", out.style(`unknown: ${u.error}`, "danger")]]);
  out.fields(
    u.users.map((x): [string, string] => {
      const sessions = x.sessions.clients
        .filter((c) => c.visible)
        .map((c) => `${c.applicationName ?? "unnamed"}${c.clientAddr ? ` from ${c.clientAddr}` : ""} (${c.count})`);
      if (x.sessions.hidden) sessions.push(`${x.sessions.hidden} hidden (grant pg_monitor to the connection role to see them)`);
      const consumers = x.consumers.map((c) => c.appName);
      const who = [sessions.length ? `sessions: ${sessions.join(", ")}` : "no sessions", consumers.length ? `consumers: ${consumers.join(", ")}` : "no consumers"].join("; ");
      return [`Uses ${x.username}${x.active ? " (active)" : ""}`, who];
    }),
  );
}

export function connectionBlock(out: Output, c: ApiConnection): void {
  const pairs: Array<[string, string]> = [
    ["Name", c.name],
    ["ID", c.id],
    ["Target", `${c.credentials.host}:${c.credentials.port}/${c.credentials.database}`],
    ["Role", c.credentials.username],
    ["TLS", tls(c)],
    ["Allowed scopes", allowedScopesLabel(c.allowedScopes)],
    ["Created", out.when(c.createdAt)],
    ["Updated", out.when(c.updatedAt)],
  ];
  if (c.description) pairs.splice(1, 0, ["Description", c.description]);
  out.fields(pairs);
}

export function tls(c: ApiConnection): string {
  if (!c.credentials.sslEnabled) return "off";
  const ca = c.credentials.sslCertificate ? "given CA" : "system CAs";
  return c.credentials.sslRejectUnauthorized ? `verified (${ca})` : "on, not verified";
}
