import { useMemo } from "react";
import { useFormContext, useWatch } from "react-hook-form";
import type { ApiConnection } from "../../../../provider/client";
import { grantedFor } from "../../../../runner/auth/connection-use";
import { secretPathSchema } from "../../../../runner/schemas";
import { ErrorAlert } from "../../common/ErrorAlert";
import { FormField, SwitchField } from "../../common/FormField";
import { ConnectionForm } from "../../connections/ConnectionForm";
import { useConnections } from "../../connections/queries";
import { useCan } from "../../session/useSession";
import type { WizardValues } from "./model";
import { RotationWindowField } from "./RotationWindowField";
import type { StepProps } from "./StepProps";

/** The select's first option: opens the connection form inline. */
export const NEW_CONNECTION = "__new__";

function timeZones(current: string): string[] {
  const all = Intl.supportedValuesOf("timeZone");
  return [...new Set(["UTC", current, ...all])];
}

/** The folder the rotation's secrets go to, as the runner will read it ("/app/" is "/app"). */
function folderOf(v: Pick<WizardValues, "projectId" | "environment" | "secretPath">) {
  const path = secretPathSchema.safeParse(v.secretPath.trim() || "/");
  return { projectId: v.projectId, environment: v.environment.trim(), secretPath: path.success ? path.data : v.secretPath };
}

export function ConfigurationStep({ mode }: StepProps) {
  const can = useCan();
  const { setValue } = useFormContext<WizardValues>();
  const [connectionId, projectId, environment, secretPath, timeZone] = useWatch<WizardValues, ["connectionId", "projectId", "environment", "secretPath", "timeZone"]>({
    name: ["connectionId", "projectId", "environment", "secretPath", "timeZone"],
  });
  const values = { connectionId, projectId, environment, secretPath, timeZone };
  const connections = useConnections();
  const zones = useMemo(() => timeZones(timeZone), [timeZone]);
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
      {/* Controlled as well (value): a connection added inline is chosen before its option is on the screen. */}
      <FormField name="connectionId" label="PostgreSQL Connection" hint={hint}>
        <select disabled={locked} value={connectionId}>
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
      </FormField>
      <ErrorAlert error={connections.error} what="Cannot list connections" />
      {values.connectionId === NEW_CONNECTION && (
        <ConnectionForm inline onSaved={(c) => setValue("connectionId", c.id)} onCancel={() => setValue("connectionId", "")} />
      )}
      <div className="field-row">
        <FormField name="environment" label="Environment">
          <input type="text" spellCheck={false} disabled={locked} />
        </FormField>
        <FormField name="secretPath" label="Secret Path">
          <input type="text" spellCheck={false} disabled={locked} />
        </FormField>
      </div>
      <FormField name="rotationInterval" label="Rotation Interval" hint="Days between rotations." number>
        <input type="number" inputMode="numeric" min={1} step={1} />
      </FormField>
      <div className="field-row">
        <FormField name="rotateAt" label="Rotate At" hint={`Local time of day in ${values.timeZone}.`}>
          <input type="time" />
        </FormField>
        <FormField name="timeZone" label="Time Zone">
          <select>
            {zones.map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        </FormField>
      </div>
      <SwitchField name="isAutoRotationEnabled" label="Auto-Rotation Enabled" hint="Off: never rotated on a schedule; Rotate Secrets still works." />
      <RotationWindowField timeZone={timeZone} />
    </>
  );
}
