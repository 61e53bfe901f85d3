import { RunnerApiError } from "../../../provider/client";
import { DateTime } from "../common/DateTime";
import { ErrorAlert } from "../common/ErrorAlert";
import { Link } from "../common/Link";
import { ManagedByBadge } from "../common/ManagedByNotice";
import { formatTimeOfDay } from "../common/time";
import { navigate } from "../router";
import { useCan } from "../session/useSession";
import { HistoryTable } from "./HistoryTable";
import { DRIFT_REPAIR_LABELS, DriftCheckSection } from "./DriftCheckSection";
import { PairCheckSection } from "./PairCheckSection";
import { activeUsername, useRotation } from "./queries";
import { RotationActions } from "./RotationActions";
import { RotationStatusBadge } from "./RotationStatusBadge";
import { ProjectFrozenBanner } from "./ProjectFreeze";
import { RotationWindowSection } from "./RotationWindowSection";
import { UsageSection } from "./UsageSection";

/** One rotation: its fields and schedule, its actions, and its history. */
export function RotationPage(props: { id: string }) {
  const rotation = useRotation(props.id);
  const can = useCan();
  const back = <Link to="/">← Secret Rotations</Link>;
  if (rotation.isPending) return <p role="status">Loading…</p>;
  if (rotation.error) {
    const gone = rotation.error instanceof RunnerApiError && rotation.error.status === 404;
    return (
      <>
        {back}
        <h1>{gone ? "Rotation not found" : "Secret rotation"}</h1>
        {gone ? <p>This rotation does not exist (it may have been deleted).</p> : <ErrorAlert error={rotation.error} />}
      </>
    );
  }
  const r = rotation.data;
  const user = (name: string) => (
    <>
      <code>{name}</code> {activeUsername(r) === name && <span className="badge badge-scheduled">active</span>}
    </>
  );
  return (
    <>
      {back}
      <div className="page-head">
        <h1>{r.name}</h1>
        <ManagedByBadge managedBy={r.managedBy} />
      </div>
      {r.description && <p className="description">{r.description}</p>}
      <ProjectFrozenBanner projectId={r.projectId} />
      <RotationStatusBadge rotation={r} />
      <RotationActions rotation={r} onDeleted={() => navigate("/")} />
      <section aria-labelledby="fields-title">
        <h2 id="fields-title">Configuration</h2>
        <dl className="fields">
          <dt>Type</dt>
          <dd>PostgreSQL Credentials</dd>
          <dt>Project</dt>
          <dd>{r.projectId}</dd>
          <dt>Environment</dt>
          <dd>{r.environment.slug}</dd>
          <dt>Secret Path</dt>
          <dd>{r.folder.path}</dd>
          <dt>PostgreSQL Connection</dt>
          <dd>{r.connection.name}</dd>
          <dt>Database Username 1</dt>
          <dd>{user(r.parameters.username1)}</dd>
          <dt>Database Username 2</dt>
          <dd>{user(r.parameters.username2)}</dd>
          <dt>Secrets</dt>
          <dd>
            Username → <code>{r.secretsMapping.username}</code>, Password → <code>{r.secretsMapping.password}</code>
          </dd>
        </dl>
      </section>
      <section aria-labelledby="schedule-title">
        <h2 id="schedule-title">Schedule</h2>
        <dl className="fields">
          <dt>Auto-Rotation</dt>
          <dd>{r.isAutoRotationEnabled ? "Enabled" : "Disabled"}</dd>
          <dt>Rotation Interval</dt>
          <dd>
            {r.rotationInterval} {r.rotationInterval === 1 ? "day" : "days"}
          </dd>
          <dt>Max Hold</dt>
          <dd>{r.maxHoldHours === 0 ? "Never waits" : `${r.maxHoldHours} ${r.maxHoldHours === 1 ? "hour" : "hours"}`}</dd>
          <dt>Drift Repair</dt>
          <dd>{DRIFT_REPAIR_LABELS[r.driftRepair]}</dd>
          <dt>Rotate At</dt>
          <dd>
            {formatTimeOfDay(r.rotateAt)} ({r.timeZone})
          </dd>
          <dt>Last Rotated</dt>
          <dd>
            <DateTime value={r.lastRotatedAt} /> {r.lastRotatedAt && (r.isLastRotationManual ? "(manual)" : "(scheduled)")}
          </dd>
          <dt>Next Rotation</dt>
          <dd>
            <DateTime value={r.nextRotationAt} fallback="Not scheduled" />
          </dd>
          <RotationWindowSection rotation={r} />
          {r.lastRotationMessage && (
            <>
              <dt>Last Message</dt>
              <dd>{r.lastRotationMessage}</dd>
            </>
          )}
        </dl>
      </section>
      <UsageSection rotation={r} />
      {can.manage && <PairCheckSection rotationId={r.id} />}
      {can.manage && <DriftCheckSection rotation={r} />}
      <HistoryTable rotationId={r.id} />
    </>
  );
}
