import { approveAction } from "./approve.js";
import { assertPropertyAction, executeAwsApiAction, waitForPropertyAction } from "./aws-api.js";
import { branchAction } from "./branch.js";
import { createTagsAction } from "./create-tags.js";
import { executeAutomationAction } from "./execute-automation.js";
import { executeScriptAction } from "./execute-script.js";
import { invokeWebhookAction } from "./invoke-webhook.js";
import { pauseAction } from "./pause.js";
import { runCommandAction } from "./run-command.js";
import { sleepAction } from "./sleep.js";
import type { Action } from "./types.js";
import { updateVariableAction } from "./update-variable.js";

/** The actions openssm runs (aws:loop is the executor's own). EC2-only actions are refused at CreateDocument. */
export const ACTIONS: Record<string, Action> = {
  "aws:approve": approveAction,
  "aws:assertAwsResourceProperty": assertPropertyAction,
  "aws:branch": branchAction,
  "aws:createTags": createTagsAction,
  "aws:executeAutomation": executeAutomationAction,
  "aws:executeAwsApi": executeAwsApiAction,
  "aws:executeScript": executeScriptAction,
  "aws:invokeWebhook": invokeWebhookAction,
  "aws:pause": pauseAction,
  "aws:runCommand": runCommandAction,
  "aws:sleep": sleepAction,
  "aws:updateVariable": updateVariableAction,
  "aws:waitForAwsResourceProperty": waitForPropertyAction,
};
