#!/usr/bin/env node
// The `pgrotate` executable: the runner (`serve`, the default) and the operator CLI (runner/cli/).
import { run } from "./cli/main";

void run(process.argv);
