#!/usr/bin/env node
// The `pgrotate` executable: the runner (`pgrotate serve`) and the operator CLI (runner/cli/).
import { run } from "./cli/main";

void run(process.argv);
