const TOOLS = {
  pulumi: { name: "Pulumi", command: "pulumi up" },
  terraform: { name: "Terraform", command: "terraform apply" },
} as const;

export type ManagedBy = keyof typeof TOOLS;

/** The mark on a connection or rotation an IaC tool created or last updated. */
export function ManagedByBadge(props: { managedBy: ManagedBy | null }) {
  if (!props.managedBy) return null;
  return <span className="badge badge-managed">Managed by {TOOLS[props.managedBy].name}</span>;
}

/** Shown before editing such an object: the tool will put its declared values back. */
export function ManagedByWarning(props: { managedBy: ManagedBy | null; what: string }) {
  if (!props.managedBy) return null;
  const tool = TOOLS[props.managedBy];
  return (
    <div className="alert alert-warning" role="note">
      <strong>Managed by {tool.name}.</strong> This {props.what} is declared in a {tool.name} program: the next <code>{tool.command}</code> will
      put the declared values back. Change it there to keep the change.
    </div>
  );
}
