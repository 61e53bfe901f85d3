import { useQueryClient } from "@tanstack/react-query";
import { useMemo } from "react";
import type { ApiConnection } from "../../../../provider/client";
import { grantedFor } from "../../../../runner/auth/connection-use";
import { secretPathSchema } from "../../../../runner/schemas";
import { ErrorAlert } from "../../common/ErrorAlert";
import { Field } from "../../common/Field";
import { Switch } from "../../common/Switch";
import { ConnectionForm } from "../../connections/ConnectionForm";
import { useConnections } from "../../connections/queries";
import { keys } from "../../queries";
import { useCan } from "../../session/useSession";
import { RotationWindowField } from "./RotationWindowField";
import type { StepProps } from "./StepProps";

/** The select's first option: opens the connection form inline. */
export const NEW_CONNECTION = "__new__";

function timeZones(current: string): string[] {
  const all = Intl.supportedValuesOf("timeZone");
  return [...new Set(["UTC", current, ...all])];
}

/** The folder the rotation's secrets go to, as the runner will read it ("/app/" is "/app"). */
function folderOf(v: StepProps["values"]) {
  const path = secretPathSchema.safeParse(v.secretPath.trim() || "/");
  return { projectId: v.projectId, environment: v.environment.trim(), secretPath: path.success ? path.data : v.secretPath };
}

export function ConfigurationStep({ values, set, errors, mode }: StepProps) {
  const can = useCan();
  const client = useQueryClient();
  const connections = useConnections();
  const zones = useMemo(() => timeZones(values.timeZone), [values.timeZone]);
  const locked = mode === "edit";
  const folder = folderOf(values);
  // A scoped session lists the connections granted somewhere in its scope; offer those granted to this folder.
  const usable = (c: ApiConnection) => can.unscoped || grantedFor(c, folder);
  const offered = connections.data?.filter(usable);
  const chosen = connections.data?.find((c) => c.id === values.connectionId);
  const known = offered?.some((c) => c.id === values.connectionId) ?? false;
  const notGranted = !locked && chosen && !usable(chosen);
  const hint = locked
    ? "A rotation's connection cannot change; delete it and create a new one."
    : notGranted
      ? `${chosen.name} is not granted to project ${folder.projectId}, environment ${folder.environment}, path ${folder.secretPath}: choose another, or ask an admin to add this folder to its Allowed Scopes.`
      : offered && offered.length === 0 && !can.manageConnections
        ? "No connection is granted to this folder. An admin can grant one under App Connections (Allowed Scopes)."
        : undefined;
  return (
    <>
      <Field label="PostgreSQL Connection" error={errors.connectionId} hint={hint}>
        <select value={values.connectionId} disabled={locked} onChange={(e) => set({ connectionId: e.target.value })}>
          <option value="" disabled hidden>
            Select a connection
          </option>
          {can.manageConnections && !locked && <option value={NEW_CONNECTION}>+ Add Connection</option>}
          {values.connectionId && values.connectionId !== NEW_CONNECTION && !known && <option value={values.connectionId}>{chosen?.name ?? values.connectionId}</option>}
          {offered?.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({c.credentials.host}/{c.credentials.database})
            </option>
          ))}
        </select>
      </Field>
      <ErrorAlert error={connections.error} what="Cannot list connections" />
      {values.connectionId === NEW_CONNECTION && (
        <ConnectionForm
          inline
          onSaved={(c) => {
            client.setQueryData(keys.connections(), [...(connections.data ?? []), c]);
            void client.invalidateQueries({ queryKey: keys.connections() });
            set({ connectionId: c.id });
          }}
          onCancel={() => set({ connectionId: "" })}
        />
      )}
      <div className="field-row">
        <Field label="Environment" error={errors.environment}>
          <input type="text" spellCheck={false} value={values.environment} disabled={locked} onChange={(e) => set({ environment: e.target.value })} />
        </Field>
        <Field label="Secret Path" error={errors.secretPath}>
          <input type="text" spellCheck={false} value={values.secretPath} disabled={locked} onChange={(e) => set({ secretPath: e.target.value })} />
        </Field>
      </div>
      <Field label="Rotation Interval" error={errors.rotationInterval} hint="Days between rotations.">
        <input type="number" inputMode="numeric" min={1} step={1} value={values.rotationInterval} onChange={(e) => set({ rotationInterval: e.target.value })} />
      </Field>
      <div className="field-row">
        <Field label="Rotate At" error={errors.rotateAt} hint={`Local time of day in ${values.timeZone}.`}>
          <input type="time" value={values.rotateAt} onChange={(e) => set({ rotateAt: e.target.value })} />
        </Field>
        <Field label="Time Zone" error={errors.timeZone}>
          <select value={values.timeZone} onChange={(e) => set({ timeZone: e.target.value })}>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <Switch
        label="Auto-Rotation Enabled"
        checked={values.isAutoRotationEnabled}
        onChange={(v) => set({ isAutoRotationEnabled: v })}
        hint="Off: never rotated on a schedule; Rotate Secrets still works."
      />
      <RotationWindowField value={values.rotationWindow} onChange={(w) => set({ rotationWindow: w })} timeZone={values.timeZone} errors={errors} />
    </>
  );
}
