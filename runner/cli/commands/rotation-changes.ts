/** `pgrotate rotations create|update|rotate|delete`: the subcommands that change a rotation. */
import { Option, type Command, type CommandUnknownOpts, type OptionValues } from "@commander-js/extra-typings";
import type { CreateRotationBody, UpdateRotationBody } from "../../../provider/client";
import { createRotationSchema, updateRotationSchema } from "../../schemas";
import { checked, defined, parseCount, parseTimeOfDay, parseWholeNumber, readJsonFile, SCHEDULE_FIELDS, scheduleFields } from "../body";
import { contextOf } from "../context";
import { withProgress } from "../progress";
import { confirm } from "../prompt";
import { findConnection, findRotation } from "../resolve";
import { activeUser, rotationBlock, rotationFolder } from "../views";
import { parseBlackout, parseTimeRange, parseWeekdays, WINDOW_OPTIONS as W, windowField } from "../window-options";

/** A rotation through the API waits for the target: allow it more than the default 30 s. */
const ROTATE_TIMEOUT_MS = 120_000;

/** The options create and update share (what a PATCH may change). */
function rotationOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(c: Command<A, O, G>) {
  return c
    .option("--name <slug>", "name, unique in the folder")
    .option("--description <text>", "description")
    .option("--interval <days>", "days between rotations", parseWholeNumber)
    .option("--at <hh:mm>", "time of day, in UTC or in --time-zone (create: default 00:00)", parseTimeOfDay)
    .option("--time-zone <zone>", "IANA time zone of --at, e.g. Europe/Berlin")
    .option("--username-secret <name>", "name of the secret apps read the username from")
    .option("--password-secret <name>", "name of the secret apps read the password from")
    .option(...W.days, parseWeekdays)
    .option(...W.range, parseTimeRange)
    .option(...W.none)
    .option(...W.blackout, parseBlackout)
    .option(...W.noBlackouts)
    .option("--max-hold-hours <hours>", "the longest a scheduled rotation waits while someone still uses the user it would change (0 = never; default 24)", parseCount);
}

export function registerRotationChanges(rotations: CommandUnknownOpts): void {
  rotationOptions(
    rotations
      .command("create")
      .description("create a rotation in --project/--environment/--path (options, or Infisical's JSON body with --file)")
      .option("--file <file>", "Infisical's create body as JSON ('-' for stdin); options given too override its fields")
      .option("--connection <connection>", "connection name or id")
      .option("--user1 <role>", "first login role (active after create)")
      .option("--user2 <role>", "second login role"),
  )
    .option("--no-auto-rotation", "never rotate on a schedule (manual rotation still works)")
    .action(async (opts, cmd) => {
      const ctx = contextOf(cmd);
      const schedule = scheduleFields(opts);
      const fromFile = opts.file ? readJsonFile(opts.file) : {};
      const file = Object.keys(schedule).length ? Object.fromEntries(Object.entries(fromFile).filter(([k]) => !SCHEDULE_FIELDS.includes(k))) : fromFile;
      const connectionId = opts.connection ? (await findConnection(ctx, opts.connection)).id : file.connectionId;
      const params = (file.parameters ?? {}) as Record<string, unknown>;
      const mapping = (file.secretsMapping ?? {}) as Record<string, unknown>;
      const body = checked(
        createRotationSchema,
        {
          ...ctx.folder(),
          ...file,
          ...ctx.givenFolder(),
          ...defined({ name: opts.name, description: opts.description, connectionId, rotationInterval: opts.interval, maxHoldHours: opts.maxHoldHours }),
          ...(opts.autoRotation === false ? { isAutoRotationEnabled: false } : {}),
          ...schedule,
          ...windowField(opts),
          parameters: { ...params, ...defined({ username1: opts.user1, username2: opts.user2 }) },
          secretsMapping: { ...mapping, ...defined({ username: opts.usernameSecret, password: opts.passwordSecret }) },
        } as CreateRotationBody,
        "rotation",
      );
      const answer = await withProgress(`Creating ${body.name}: prechecks, then both users' new passwords`, ctx.client({ timeoutMs: ROTATE_TIMEOUT_MS }).createRotationChecked(body));
      const warnings = answer.warnings ?? [];
      // --json: the rotation, with the precheck's warnings as a field when there are any (stdout holds one document).
      ctx.out.result(warnings.length ? { ...answer.secretRotation, warnings } : answer.secretRotation, (r) => {
        ctx.out.line(`Created rotation ${r.name} (${r.id}); both users have new passwords and ${activeUser(r)} is active.`);
        rotationBlock(ctx.out, r);
        for (const w of warnings) ctx.out.note(`Warning: ${w}`);
      });
    });

  rotationOptions(
    rotations
      .command("update")
      .description("change a rotation's name, description, schedule, auto-rotation, rotation window, max hold or secret names")
      .argument("<rotation>", "name or id"),
  )
    .option("--auto-rotation", "rotate on the schedule")
    .option("--no-auto-rotation", "never rotate on a schedule")
    .action(async (ref, opts, cmd) => {
      const ctx = contextOf(cmd);
      const r = await findRotation(ctx, ref);
      const mapping = defined({ username: opts.usernameSecret, password: opts.passwordSecret });
      const body = checked(
        updateRotationSchema,
        defined({
          name: opts.name,
          description: opts.description,
          rotationInterval: opts.interval,
          maxHoldHours: opts.maxHoldHours,
          isAutoRotationEnabled: opts.autoRotation,
          ...scheduleFields(opts, r),
          ...windowField(opts, r.rotationWindow),
          secretsMapping: Object.keys(mapping).length ? { ...r.secretsMapping, ...mapping } : undefined,
        }) as UpdateRotationBody,
        "rotation update",
      );
      const updated = await ctx.client().updateRotation(r.id, body);
      ctx.out.result(updated, (x) => rotationBlock(ctx.out, x));
    });

  rotations
    .command("rotate")
    .description("rotate now: the inactive user gets a new password, is verified, then becomes active")
    .argument("<rotation>", "name or id")
    .option(
      "--force",
      "rotate within 10 minutes of the last rotation (the grace guard: consumers may still hold the other password), outside the rotation window, " +
        "in a frozen project, or while someone still uses the user it would change",
    )
    .action(async (ref, opts, cmd) => {
      const ctx = contextOf(cmd);
      const r = await findRotation(ctx, ref);
      const rotated = await withProgress(`Rotating ${r.name}`, ctx.client({ timeoutMs: ROTATE_TIMEOUT_MS }).rotate(r.id, { force: opts.force === true }));
      ctx.out.result(rotated, (x) => {
        ctx.out.line(`Rotated ${x.name}: ${activeUser(x)} is now active.`);
        ctx.out.line(`Next rotation: ${ctx.out.when(x.nextRotationAt, "none (auto-rotation disabled)")}`);
      });
    });

  rotations
    .command("delete")
    .description("delete a rotation (the users keep their current passwords unless --revoke)")
    .argument("<rotation>", "name or id")
    .addOption(new Option("--revoke", "set unknown random passwords on both users (apps using them lose access)"))
    .option("--delete-secrets", "remove the mapped secrets (otherwise they stay readable)")
    .action(async (ref, opts, cmd) => {
      const ctx = contextOf(cmd);
      const r = await findRotation(ctx, ref);
      const consequence = opts.revoke ? "; both users get unknown passwords" : "";
      await confirm(`Delete rotation ${JSON.stringify(r.name)} in ${rotationFolder(r)}${consequence}`, ctx.yes);
      const deleted = await withProgress(
        `Deleting ${r.name}`,
        ctx.client({ timeoutMs: ROTATE_TIMEOUT_MS }).deleteRotation(r.id, { revokeGeneratedCredentials: opts.revoke === true, deleteSecrets: opts.deleteSecrets === true }),
      );
      ctx.out.result(deleted, (x) => {
        ctx.out.line(`Deleted rotation ${x.name}.`);
        if (opts.revoke) ctx.out.line(`${x.parameters.username1} and ${x.parameters.username2} now have unknown passwords.`);
        ctx.out.line(opts.deleteSecrets ? "Its secrets were removed." : `Its secrets ${x.secretsMapping.username} and ${x.secretsMapping.password} stay readable (--delete-secrets removes them).`);
      });
    });
}
