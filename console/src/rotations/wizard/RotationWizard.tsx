import { type FormEvent, useEffect, useRef, useState } from "react";
import type { ApiRotation, PairCheckOutcome } from "../../../../provider/client";
import { api } from "../../api";
import { ManagedByWarning } from "../../common/ManagedByNotice";
import { useFocusFirstError } from "../../common/useFocusFirstError";
import { ConfigurationStep } from "./ConfigurationStep";
import { DetailsStep } from "./DetailsStep";
import { MappingsStep } from "./MappingsStep";
import { createBody, type FieldErrors, firstStepWithError, type Mode, REVIEW, STEPS, submitFailure, type SubmitFailure, updateBody, validate, type WizardValues } from "./model";
import { ParametersStep } from "./ParametersStep";
import { PrecheckFailure } from "./PrecheckFailure";
import { ReviewStep } from "./ReviewStep";

/**
 * The wizard: one form, one set of values, one step shown at a time. Next validates only the current step
 * (with the runner's own schema); Back keeps everything; a refused submit goes back to the step it names and
 * keeps every value, so nothing is lost when a request fails.
 */
export function RotationWizard(props: {
  mode: Mode;
  initial: WizardValues;
  original?: ApiRotation;
  /** The rotation, and on create the pair check the runner ran on it (a warning, never a refusal). */
  onDone: (r: ApiRotation, pairCheck?: PairCheckOutcome) => void;
  onCancel: () => void;
}) {
  const [values, setValues] = useState(props.initial);
  const [step, setStep] = useState(0);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [failure, setFailure] = useState<SubmitFailure>();
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    // Keyboard and screen-reader users land on the step's heading (first shown, and after Next / Back).
    heading.current?.focus();
  }, [step]);
  // Declared after the heading's: when a step fails, its first wrong field wins over the heading.
  const [errorFocusRef, focusFirstError] = useFocusFirstError<HTMLFormElement>();

  const set = (patch: Partial<WizardValues>) => setValues((v) => ({ ...v, ...patch }));
  const go = setStep;

  const submit = () => {
    const all = validate(values, props.mode, props.original);
    if (Object.keys(all).length) {
      setErrors(all);
      go(firstStepWithError(all));
      focusFirstError();
      return;
    }
    setBusy(true);
    setFailure(undefined);
    const request =
      props.mode === "create" || !props.original
        ? api.createRotationChecked(createBody(values)).then((c) => props.onDone(c.secretRotation, c.pairCheck))
        : api.updateRotation(props.original.id, updateBody(values, props.original)).then((r) => props.onDone(r));
    request.catch((err: unknown) => {
      const f = submitFailure(err, values);
      setFailure(f);
      setErrors(f.errors);
      setBusy(false);
      go(f.step);
      focusFirstError();
    });
  };

  const next = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    if (step === REVIEW) return submit();
    const stepErrors = validate(values, props.mode, props.original, [step]);
    setErrors(stepErrors);
    if (Object.keys(stepErrors).length) return focusFirstError();
    if (failure && failure.step === step) setFailure(undefined);
    go(step + 1);
  };

  const stepProps = { values, set, errors, mode: props.mode };
  const stepMessage = failure && failure.step === step ? failure.stepMessage : undefined;
  const submitLabel = props.mode === "create" ? "Create Secret Rotation" : "Save Changes";
  return (
    <form ref={errorFocusRef} className="wizard" onSubmit={next} noValidate>
      {props.original && <ManagedByWarning managedBy={props.original.managedBy} what="rotation" />}
      <ol className="stepper" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s} aria-current={i === step ? "step" : undefined} className={i < step ? "done" : undefined}>
            <span className="step-number" aria-hidden="true">
              {i + 1}
            </span>
            {s}
          </li>
        ))}
      </ol>
      <h3 ref={heading} tabIndex={-1} className="step-title" data-autofocus>
        {STEPS[step]}
      </h3>
      {step === 0 && <ConfigurationStep {...stepProps} />}
      {step === 1 && <ParametersStep {...stepProps} precheck={stepMessage?.sql ? stepMessage : undefined} />}
      {step === 2 && <MappingsStep {...stepProps} />}
      {step === 3 && <DetailsStep {...stepProps} />}
      {step === REVIEW && <ReviewStep values={values} />}
      {stepMessage && !(step === 1 && stepMessage.sql) && <PrecheckFailure text={stepMessage.text} />}
      <div className="dialog-actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        {step > 0 && (
          <button type="button" onClick={() => go(step - 1)}>
            Back
          </button>
        )}
        <button type="submit" className="button-primary" disabled={busy}>
          {step < REVIEW ? "Next" : busy ? (props.mode === "create" ? "Creating…" : "Saving…") : submitLabel}
        </button>
      </div>
    </form>
  );
}
