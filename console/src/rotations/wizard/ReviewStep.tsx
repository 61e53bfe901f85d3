import { useConnections } from "../../connections/queries";
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
export function ReviewStep({ values }: { values: WizardValues }) {
  const connections = useConnections();
  const connection = connections.data?.find((c) => c.id === values.connectionId);
  const requirements = values.requirements
    ? `${values.length} characters; at least ${values.digits} digits, ${values.lowercase} lowercase, ${values.uppercase} uppercase, ${values.symbols} symbols${values.allowedSymbols ? ` from ${values.allowedSymbols}` : ""}`
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
            {values.rotationInterval} {values.rotationInterval === "1" ? "day" : "days"}
          </Row>
          <Row term="Rotate At">
            {values.rotateAt} ({values.timeZone})
          </Row>
          <Row term="Auto-Rotation">{values.isAutoRotationEnabled ? "Enabled" : "Disabled"}</Row>
        </dl>
      </section>
      <section aria-label="Parameters">
        <h4>Parameters</h4>
        <dl>
          <Row term="Database Username 1">{values.username1}</Row>
          <Row term="Database Username 2">{values.username2}</Row>
          <Row term="Password Requirements">{requirements}</Row>
        </dl>
      </section>
      <section aria-label="Mappings">
        <h4>Mappings</h4>
        <dl>
          <Row term="Username">{values.secretUsername}</Row>
          <Row term="Password">{values.secretPassword}</Row>
        </dl>
      </section>
      <section aria-label="Details">
        <h4>Details</h4>
        <dl>
          <Row term="Name">{values.name}</Row>
          <Row term="Description">{values.description || <span className="muted">None</span>}</Row>
          <Row term="Max Hold">{values.maxHoldHours === "0" ? "Never waits" : `${values.maxHoldHours} hours`}</Row>
        </dl>
      </section>
    </div>
  );
}
