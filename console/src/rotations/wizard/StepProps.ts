import type { FieldErrors, Mode, WizardValues } from "./model";

/** What every step receives: the one set of values, a setter, the errors of its fields, and the mode. */
export interface StepProps {
  values: WizardValues;
  set: (patch: Partial<WizardValues>) => void;
  errors: FieldErrors;
  mode: Mode;
}
