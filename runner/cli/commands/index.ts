/**
 * Every command of `pgrotate`, one module each. A new command is a module that registers itself on the
 * program, added to this list (nothing else changes).
 */
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { registerAudit } from "./audit";
import { registerBackup } from "./backup";
import { registerCheck } from "./check";
import { registerCompletion } from "./completion";
import { registerConnections } from "./connections";
import { registerConsumers } from "./consumers";
import { registerCredentials } from "./credentials";
import { registerIdentities } from "./identities";
import { registerLogin } from "./login";
import { registerProjects } from "./projects";
import { registerRekey } from "./rekey";
import { registerRotations } from "./rotations";
import { registerSecrets } from "./secrets";
import { registerServe } from "./serve";
import { registerSetupSql } from "./setup-sql";
import { registerStatus } from "./status";
import { registerTokens } from "./tokens";
import { registerVersion } from "./version";

export type RegisterCommand = (program: CommandUnknownOpts) => void;

export const COMMANDS: RegisterCommand[] = [
  registerServe,
  registerStatus,
  registerRotations,
  registerProjects,
  registerCredentials,
  registerConnections,
  registerSecrets,
  registerConsumers,
  registerTokens,
  registerIdentities,
  registerAudit,
  registerSetupSql,
  registerCheck,
  registerBackup,
  registerRekey,
  registerLogin,
  registerVersion,
  registerCompletion,
];
