import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { composeRunbook, STEP } from "../../packages/server/src/capabilities/change-manager/compose.js";
import { readTemplate } from "../../packages/server/src/capabilities/change-manager/template.js";

const approve = (name: string, approvers: unknown[], min?: number) => ({
  name,
  action: "aws:approve",
  inputs: { Message: name, EnhancedApprovals: { Approvers: approvers, ...(min ? { MinRequiredApprovals: min } : {}) } },
});

describe("change manager: reading templates and composing the change's runbook", () => {
  it("reads approval levels, calendars (either form), emergency and auto-approval", () => {
    const t = readTemplate("T", {
      emergencyChange: "true",
      autoApprovable: true,
      changeCalendar: { type: "ChangeCalendar", documentName: "Freeze" },
      changeCalendars: ["Freeze", "Other"],
      executableRunBooks: [{ name: "R", version: "1" }],
      mainSteps: [approve("L1", [{ approver: "alice", type: "IamUser" }], 2), approve("L2", ["bob"])],
    });
    assert.deepEqual(
      t.levels.map((l) => [l.stepName, l.approvers, l.minRequired]),
      [
        ["L1", [{ approver: "alice", type: "IamUser" }], 2],
        ["L2", [{ approver: "bob" }], 1],
      ],
    );
    assert.deepEqual(t.calendars, ["Freeze", "Other"]);
    assert.equal(t.emergency, true);
    assert.equal(t.autoApprovable, true);
    assert.deepEqual(t.runbooks, [{ name: "R", version: "1" }]);
  });

  it("refuses more than five approval levels by name", () => {
    const steps = [1, 2, 3, 4, 5, 6].map((i) => approve(`L${i}`, ["alice"]));
    assert.throws(
      () => readTemplate("Six", { mainSteps: steps }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, "InvalidAutomationExecutionParametersException");
        assert.match(e.message, /6 approval levels.*at most 5/);
        return true;
      },
    );
  });

  it("composes approvals, the scheduled wait, the calendar check with its override, then the runbook", () => {
    const book = composeRunbook({
      template: { schemaVersion: "0.3", parameters: { P: { type: "String" } }, mainSteps: [approve("L1", ["alice"])], outputs: ["x.y"] },
      levels: [{ stepName: "L1", approvers: ["arn:aws:iam::111122223333:user/alice"], minRequired: 1 }],
      scheduledTime: "2026-12-06T02:00:00.000Z",
      calendars: ["Freeze"],
      overrideApprovers: ["arn:aws:iam::111122223333:role/cab"],
      runbook: { DocumentName: "R", Parameters: { A: ["1"] }, Targets: [{ Key: "tag:Role", Values: ["web"] }], TargetParameterName: "InstanceId" },
    });
    assert.deepEqual(book.parameters, { P: { type: "String" } });
    assert.equal(book.outputs, undefined);
    assert.deepEqual(
      book.mainSteps.map((s: { name: string; action: string }) => [s.name, s.action]),
      [
        ["L1", "aws:approve"],
        [STEP.wait, "aws:sleep"],
        [STEP.calendar, "aws:assertAwsResourceProperty"],
        [STEP.override, "aws:approve"],
        [STEP.run, "aws:executeAutomation"],
      ],
    );
    const calendar = book.mainSteps[2];
    assert.equal(calendar.onFailure, `step:${STEP.override}`);
    assert.equal(calendar.isCritical, false);
    assert.deepEqual(book.mainSteps[4].inputs, {
      DocumentName: "R",
      RuntimeParameters: { A: ["1"] },
      Targets: [{ Key: "tag:Role", Values: ["web"] }],
      TargetParameterName: "InstanceId",
    });
  });

  it("an emergency or auto-approved change has neither approvals nor a calendar check", () => {
    const book = composeRunbook({ template: {}, levels: [], calendars: [], overrideApprovers: [], runbook: { DocumentName: "R" } });
    assert.deepEqual(
      book.mainSteps.map((s: { name: string }) => s.name),
      [STEP.run],
    );
  });
});
