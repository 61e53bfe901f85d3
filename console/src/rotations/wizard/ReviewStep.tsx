import { useWatch } from "react-hook-form";
import { useConnections } from "../../connections/queries";
import { describeWindow } from "../../../../runner/rotation/window";
import type { WizardValues } from "./model";

function Row(props: { term: string; children: React.ReactNode }) {
  return (
    <>
      <dt>{props.term}</dt>
      <dd>{props.children}</dd>
    </>
  );
}

/** Everything on one page before Create Secret Rotation. */
export function ReviewStep() {
  const values = useWatch<WizardValues>();
  const connections = useConnections();
  const connection = connections.data?.find((c) => c.id === values.connectionId);
  const pr = values.parameters?.passwordRequirements;
  const requirements = values.requirements
    ? `${pr?.length} characters; at least ${pr?.required?.digits} digits, ${pr?.required?.lowercase} lowercase, ${pr?.required?.uppercase} uppercase, ${pr?.required?.symbols} symbols${pr?.allowedSymbols ? ` from ${pr.allowedSymbols}` : ""}`
    : "Default: 48 letters and digits";
  return (
    <div className="review">
      <section aria-label="Configuration">
        <h4>Configuration</h4>
        <dl>
          <Row term="PostgreSQL Connection">{connection ? connection.name : values.connectionId}</Row>
          <Row term="Environment">{values.environment}</Row>
          <Row term="Secret Path">{values.secretPath}</Row>
          <Row term="Rotation Interval">
            {values.rotationInterval} {values.rotationInterval === 1 ? "day" : "days"}
          </Row>
          <Row term="Rotate At">
            {values.rotateAt} ({values.timeZone})
          </Row>
          <Row term="Auto-Rotation">{values.isAutoRotationEnabled ? "Enabled" : "Disabled"}</Row>
          <Row term="Rotation Window">{values.rotationWindow ? describeWindow(values.rotationWindow as NonNullable<WizardValues["rotationWindow"]>, values.timeZone ?? "UTC") : "Any time"}</Row>
        </dl>
      </section>
      <section aria-label="Parameters">
        <h4>Parameters</h4>
        <dl>
          <Row term="Database Username 1">{values.parameters?.username1}</Row>
          <Row term="Database Username 2">{values.parameters?.username2}</Row>
          <Row term="Password Requirements">{requirements}</Row>
        </dl>
      </section>
      <section aria-label="Mappings">
        <h4>Mappings</h4>
        <dl>
          <Row term="Username">{values.secretsMapping?.username}</Row>
          <Row term="Password">{values.secretsMapping?.password}</Row>
        </dl>
      </section>
      <section aria-label="Details">
        <h4>Details</h4>
        <dl>
          <Row term="Name">{values.name}</Row>
          <Row term="Description">{values.description || <span className="muted">None</span>}</Row>
          <Row term="Max Hold">{values.maxHoldHours === 0 ? "Never waits" : `${values.maxHoldHours} hours`}</Row>
        </dl>
      </section>
    </div>
  );
}
