import type { Mode } from "./model";

/** What every step receives besides the form around it (its values and fields, through react-hook-form): the mode. */
export interface StepProps {
  mode: Mode;
}
