import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useMemo, useRef, useState } from "react";
import { FormProvider } from "react-hook-form";
import type { ApiRotation, CreatedRotation, CreateRotationBody, PairCheckOutcome, UpdateRotationBody } from "../../../../provider/client";
import { api } from "../../api";
import { useSchemaForm } from "../../common/form";
import { ManagedByWarning } from "../../common/ManagedByNotice";
import { refreshRotations } from "../queries";
import { ConfigurationStep } from "./ConfigurationStep";
import { DetailsStep } from "./DetailsStep";
import { MappingsStep } from "./MappingsStep";
import { firstStepWithError, type Mode, REVIEW, STEPS, submitFailure, wizardSchema, type WizardValues } from "./model";
import { ParametersStep } from "./ParametersStep";
import { PrecheckFailure } from "./PrecheckFailure";
import { ReviewStep } from "./ReviewStep";

type Body = CreateRotationBody | UpdateRotationBody;

/**
 * The wizard: one form (react-hook-form, the runner's schema), one step shown at a time. Next validates only the
 * current step's fields; Back keeps everything; a refused submit goes back to the step it names and keeps every
 * value, so nothing is lost when a request fails.
 */
export function RotationWizard(props: {
  mode: Mode;
  initial: WizardValues;
  original?: ApiRotation;
  /**
   * The rotation (the cache already refreshed), and on create the pair check the runner ran on it (a warning, never a
   * refusal) and the precheck's warnings (e.g. the connection role lacks pg_monitor; [] when none).
   */
  onDone: (r: ApiRotation, pairCheck?: PairCheckOutcome, warnings?: string[]) => void;
  onCancel: () => void;
}) {
  const client = useQueryClient();
  const [step, setStep] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    // Keyboard and screen-reader users land on the step's heading (first shown, and after Next / Back).
    heading.current?.focus();
  }, [step]);
  // Declared after the heading's effect: when a step fails, its first wrong field wins over the heading.
  const schema = useMemo(() => wizardSchema(props.mode, props.original), [props.mode, props.original]);
  const { form, focusRef, focusFirstError, submit } = useSchemaForm<WizardValues, Body>(schema, props.initial);

  const save = useMutation({
    mutationFn: async (body: Body) => {
      if (props.mode === "edit" && props.original) return { secretRotation: await api.updateRotation(props.original.id, body) };
      return api.createRotationChecked(body as CreateRotationBody);
    },
    onSuccess: (done: Partial<CreatedRotation> & { secretRotation: ApiRotation }) => {
      refreshRotations(client, done.secretRotation);
      props.onDone(done.secretRotation, done.pairCheck, done.warnings ?? []);
    },
    onError: (err) => {
      const f = submitFailure(err, form.getValues());
      for (const e of f.errors) form.setError(e.path as never, { type: "server", message: e.message });
      setStep(f.step);
      focusFirstError();
    },
  });
  const failure = save.error ? submitFailure(save.error, form.getValues()) : undefined;

  const next = async (e: FormEvent) => {
    e.preventDefault();
    if (save.isPending) return;
    if (step === REVIEW) {
      return submit(
        (body) => save.mutate(body),
        (errors) => setStep(firstStepWithError(Object.keys(errors))),
      )();
    }
    if (!(await form.trigger(STEPS[step].fields as never))) return focusFirstError();
    // Leaving the step a refusal was shown on: it is dealt with.
    if (failure?.step === step) save.reset();
    setStep(step + 1);
  };

  const stepMessage = failure && failure.step === step ? failure.stepMessage : undefined;
  const submitLabel = props.mode === "create" ? "Create Secret Rotation" : "Save Changes";
  return (
    <FormProvider {...form}>
      <form ref={focusRef} className="wizard" onSubmit={(e) => void next(e)} noValidate>
        {props.original && <ManagedByWarning managedBy={props.original.managedBy} what="rotation" />}
        <ol className="stepper" aria-label="Steps">
          {STEPS.map((s, i) => (
            <li key={s.title} aria-current={i === step ? "step" : undefined} className={i < step ? "done" : undefined}>
              <span className="step-number" aria-hidden="true">
                {i + 1}
              </span>
              {s.title}
            </li>
          ))}
        </ol>
        <h3 ref={heading} tabIndex={-1} className="step-title" data-autofocus>
          {STEPS[step].title}
        </h3>
        {step === 0 && <ConfigurationStep mode={props.mode} />}
        {step === 1 && <ParametersStep mode={props.mode} precheck={stepMessage?.sql ? stepMessage : undefined} />}
        {step === 2 && <MappingsStep />}
        {step === 3 && <DetailsStep />}
        {step === REVIEW && <ReviewStep />}
        {stepMessage && !(step === 1 && stepMessage.sql) && <PrecheckFailure text={stepMessage.text} />}
        <div className="dialog-actions">
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
          {step > 0 && (
            <button type="button" onClick={() => setStep(step - 1)}>
              Back
            </button>
          )}
          <button type="submit" className="button-primary" disabled={save.isPending}>
            {step < REVIEW ? "Next" : save.isPending ? (props.mode === "create" ? "Creating…" : "Saving…") : submitLabel}
          </button>
        </div>
      </form>
    </FormProvider>
  );
}
