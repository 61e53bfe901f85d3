import { cloneElement, type ReactElement, type ReactNode } from "react";
import { useController, useFormContext, type UseFormRegisterReturn } from "react-hook-form";
import { Field } from "./Field";
import { inWords, useErrorMessage } from "./form";
import { Switch } from "./Switch";

interface ControlProps {
  id?: string;
  "aria-invalid"?: boolean;
  "aria-describedby"?: string;
}

/**
 * A Field of the form around it: the control (`children`) registered as `name`, its error (from the schema or
 * the runner) said with the field's label. `number`: the value is a number (NaN when empty: the schema says so).
 */
export function FormField(props: { name: string; label: string; hint?: ReactNode; className?: string; number?: boolean; children: ReactElement<ControlProps & Partial<UseFormRegisterReturn>> }) {
  const { register } = useFormContext();
  const message = useErrorMessage(props.name);
  const control = cloneElement(props.children, register(props.name, props.number ? { valueAsNumber: true } : undefined));
  return (
    <Field label={props.label} hint={props.hint} className={props.className} error={message && inWords(props.name, props.label, message)}>
      {control}
    </Field>
  );
}

/** A Switch of the form around it, its on/off the boolean field `name`. */
export function SwitchField(props: { name: string; label: string; hint?: ReactNode; disabled?: boolean }) {
  const { field } = useController({ name: props.name });
  return <Switch label={props.label} hint={props.hint} disabled={props.disabled} checked={Boolean(field.value)} onChange={field.onChange} />;
}
