#!/usr/bin/env node
// `openssm`: runs the TypeScript CLI in this process through tsx's loader, so a checkout works right
// after `npm install`, and signals (Ctrl-C, SIGTERM from npm or systemd) reach the CLI itself rather
// than a parent that would leave a child behind. tsx is resolved from this file's checkout, not from
// the directory the command runs in.
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
// Processes this one forks (the server's API workers) load their TypeScript the same way.
process.execArgv.push("--import", tsx);
const { register } = await import("tsx/esm/api");
register();
await import("../src/main.ts");
