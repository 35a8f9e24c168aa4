import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type AutomationExecution,
  CreateDocumentCommand,
  DescribeDocumentCommand,
  GetCalendarStateCommand,
  GetOpsItemCommand,
  GetParameterCommand,
  ListDocumentMetadataHistoryCommand,
  SendAutomationSignalCommand,
  StartChangeRequestExecutionCommand,
  UpdateDocumentMetadataCommand,
} from "@aws-sdk/client-ssm";
import { awsCli, eventually, startServer, type TestServer } from "../harness/index.js";
import { getExecution, waitFor } from "./automation-support.js";
import { type ChangeWorld, changeRequestCounts, changeWorld, HOUR, iso, templateYaml } from "./change-manager-support.js";

/**
 * Change Manager without nodes: template review, seed 003's Black-Friday freeze rejecting a change at
 * submission, bad input, an approver's rejection, and an emergency template passing the freeze. The
 * server's clock is the test clock.
 */
describe("change manager: templates, the freeze, rejections, emergencies", () => {
  let server: TestServer;
  let dir: string;
  let w: ChangeWorld;
  /** How far the test moved the server's clock (ms): the server's now is Date.now() + advanced. */
  let advanced = 0;
  const advance = async (seconds: number) => {
    await server.advanceClock(seconds);
    advanced += seconds * 1000;
  };

  before(async () => {
    server = await startServer({ testClock: true });
    dir = mkdtempSync(join(tmpdir(), "openssm-change-"));
    w = await changeWorld(server, dir);
  });

  after(async () => {
    await server?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a template that is not approved, then takes it once a reviewer approved it", async () => {
    const ssm = server.ssm(w.carol);
    const request = {
      DocumentName: "PatchWebFleet",
      Runbooks: [{ DocumentName: "RecordChange", Parameters: { Name: ["/changes/never"], Value: ["x"] } }],
    };
    await assert.rejects(ssm.send(new StartChangeRequestExecutionCommand(request)), (e: Error) => {
      assert.equal(e.name, "AutomationDefinitionNotApprovedException");
      assert.match(e.message, /NOT_REVIEWED/);
      return true;
    });
    let doc = (await ssm.send(new DescribeDocumentCommand({ Name: "PatchWebFleet" }))).Document;
    assert.equal(doc?.ReviewStatus, "NOT_REVIEWED");
    await ssm.send(
      new UpdateDocumentMetadataCommand({
        Name: "PatchWebFleet",
        DocumentReviews: { Action: "SendForReview", Comment: [{ Type: "Comment", Content: "please" }] },
      }),
    );
    doc = (await ssm.send(new DescribeDocumentCommand({ Name: "PatchWebFleet" }))).Document;
    assert.equal(doc?.ReviewStatus, "PENDING");
    assert.equal(doc?.PendingReviewVersion, "1");
    // The command, through the aws CLI.
    const approve = await awsCli(server, [
      "ssm",
      "update-document-metadata",
      "--name",
      "PatchWebFleet",
      "--document-reviews",
      "Action=Approve,Comment=[{Type=Comment,Content=ok}]",
    ]);
    assert.equal(approve.code, 0, approve.stderr);
    doc = (await ssm.send(new DescribeDocumentCommand({ Name: "PatchWebFleet" }))).Document;
    assert.equal(doc?.ReviewStatus, "APPROVED");
    assert.equal(doc?.ApprovedVersion, "1");
    assert.equal(doc?.ReviewInformation?.[0]?.Status, "APPROVED");
    const history = await ssm.send(new ListDocumentMetadataHistoryCommand({ Name: "PatchWebFleet", Metadata: "DocumentReviews" }));
    assert.equal(history.Author, "carol");
    assert.deepEqual(
      history.Metadata?.ReviewerResponse?.map((r) => [r.ReviewStatus, r.Comment?.[0]?.Content]),
      [
        ["PENDING", "please"],
        ["APPROVED", "ok"],
      ],
    );
    // Approving an approved version again is refused by name.
    await assert.rejects(ssm.send(new UpdateDocumentMetadataCommand({ Name: "PatchWebFleet", DocumentReviews: { Action: "Approve" } })), {
      name: "InvalidDocumentOperation",
    });
  });

  it("the Black-Friday freeze rejects a change scheduled in it at submission, and nothing is created", async () => {
    const before = await changeRequestCounts(server);
    const r = await awsCli(
      server,
      [
        "ssm",
        "start-change-request-execution",
        "--change-request-name",
        "Patch web, Black Friday",
        "--document-name",
        "PatchWebFleet",
        "--runbooks",
        JSON.stringify([{ DocumentName: "RecordChange", Parameters: { Name: ["/changes/freeze"], Value: ["x"] } }]),
        "--scheduled-time",
        iso(w.t0 + 2 * HOUR),
      ],
      { creds: w.carol },
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /InvalidAutomationExecutionParametersException/);
    assert.match(r.stderr, /BlackFridayFreeze is CLOSED/);
    assert.deepEqual(await changeRequestCounts(server), before);
  });

  it("bad input answers AWS's error names and leaves nothing half-created", async () => {
    const admin = server.ssm();
    const six = templateYaml({ levels: ["alice", "bob", "alice", "bob", "alice", "bob"], runbooks: ["RecordChange"] });
    await assert.rejects(
      admin.send(new CreateDocumentCommand({ Name: "TooManyLevels", DocumentType: "Automation.ChangeTemplate", DocumentFormat: "YAML", Content: six })),
      (e: Error) => e.name === "InvalidDocumentContent" && /at most 5/.test(e.message),
    );
    await admin.send(
      new CreateDocumentCommand({
        Name: "GhostApprover",
        DocumentType: "Automation.ChangeTemplate",
        DocumentFormat: "YAML",
        Content: templateYaml({ levels: ["nobody-here"], runbooks: ["RecordChange"] }),
      }),
    );
    await admin.send(new UpdateDocumentMetadataCommand({ Name: "GhostApprover", DocumentReviews: { Action: "Approve" } }));
    const before = await changeRequestCounts(server);
    await assert.rejects(
      admin.send(
        new StartChangeRequestExecutionCommand({
          DocumentName: "GhostApprover",
          Runbooks: [{ DocumentName: "RecordChange", Parameters: { Name: ["/changes/ghost"], Value: ["x"] } }],
        }),
      ),
      (e: Error) => e.name === "InvalidAutomationExecutionParametersException" && /user nobody-here is not an IAM user or role/.test(e.message),
    );
    await assert.rejects(
      admin.send(new StartChangeRequestExecutionCommand({ DocumentName: "PatchWebFleet", Runbooks: [{ DocumentName: "AWS-CheckDiskSpace" }] })),
      (e: Error) => e.name === "InvalidAutomationExecutionParametersException" && /allows the runbooks/.test(e.message),
    );
    await assert.rejects(
      admin.send(
        new StartChangeRequestExecutionCommand({
          DocumentName: "PatchWebFleet",
          AutoApprove: true,
          Runbooks: [{ DocumentName: "RecordChange", Parameters: { Name: ["/changes/auto"], Value: ["x"] } }],
        }),
      ),
      (e: Error) => e.name === "InvalidAutomationExecutionParametersException" && /not auto-approvable/.test(e.message),
    );
    assert.deepEqual(await changeRequestCounts(server), before);
  });

  it("an approver's rejection cancels the change: its runbook never runs", async () => {
    const ssm = server.ssm(w.carol);
    const now = Date.now() + advanced;
    const request = {
      ChangeRequestName: "Risky change",
      DocumentName: "PatchWebFleet",
      ScheduledTime: new Date(Math.floor((now + 20 * 60_000) / 1000) * 1000),
      ClientToken: "5d4c3b2a-1111-4222-8333-944455556666",
      Runbooks: [{ DocumentName: "RecordChange", Parameters: { Name: ["/changes/rejected"], Value: ["ran"] } }],
    };
    const { AutomationExecutionId: id } = await ssm.send(new StartChangeRequestExecutionCommand(request));
    // A retry with the same ClientToken is the same change request; another request with it is refused.
    const counts = await changeRequestCounts(server);
    assert.equal((await ssm.send(new StartChangeRequestExecutionCommand(request))).AutomationExecutionId, id);
    await assert.rejects(ssm.send(new StartChangeRequestExecutionCommand({ ...request, ChangeRequestName: "Another" })), {
      name: "IdempotentParameterMismatch",
    });
    assert.deepEqual(await changeRequestCounts(server), counts);
    await waitFor(server, id as string, (x) => x.CurrentStepName === "ApproveLevel1", { ssm });
    await server.ssm(w.alice).send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: "Reject", Payload: { Comment: ["not now"] } }));
    const e: AutomationExecution = await waitFor(server, id as string, (x) => x.AutomationExecutionStatus === "Rejected", { ssm });
    assert.match(e.FailureMessage ?? "", /not now/);
    assert.deepEqual(
      e.StepExecutions?.map((s) => [s.StepName, s.StepStatus]),
      [["ApproveLevel1", "Failed"]],
    );
    await eventually(async () => (await ssm.send(new GetOpsItemCommand({ OpsItemId: e.OpsItemId }))).OpsItem?.Status === "Rejected", {
      what: "the OpsItem to show Rejected",
    });
    await advance(30 * 60);
    await assert.rejects(server.ssm().send(new GetParameterCommand({ Name: "/changes/rejected" })), { name: "ParameterNotFound" });
    assert.equal((await getExecution(ssm, id as string)).AutomationExecutionStatus, "Rejected");
  });

  it("an emergency template passes the freeze and runs in it", async () => {
    const admin = server.ssm();
    await admin.send(
      new CreateDocumentCommand({
        Name: "EmergencyFix",
        DocumentType: "Automation.ChangeTemplate",
        DocumentFormat: "YAML",
        Content: templateYaml({ levels: ["alice"], emergency: true, autoApprovable: true, runbooks: ["RecordChange"] }),
      }),
    );
    await admin.send(new UpdateDocumentMetadataCommand({ Name: "EmergencyFix", DocumentReviews: { Action: "Approve" } }));
    const inFreeze = w.t0 + 3 * HOUR;
    const { AutomationExecutionId: id } = await server.ssm(w.carol).send(
      new StartChangeRequestExecutionCommand({
        ChangeRequestName: "Hotfix during the freeze",
        DocumentName: "EmergencyFix",
        AutoApprove: true,
        ScheduledTime: new Date(inFreeze),
        Runbooks: [{ DocumentName: "RecordChange", Parameters: { Name: ["/changes/hotfix"], Value: ["done"] } }],
      }),
    );
    await waitFor(server, id as string, (x) => x.AutomationExecutionStatus === "Scheduled", { ssm: server.ssm(w.carol) });
    // Move into the freeze: the calendar is closed, and the emergency change runs anyway.
    const calendar = await admin.send(new GetCalendarStateCommand({ CalendarNames: ["BlackFridayFreeze"], AtTime: iso(inFreeze) }));
    assert.equal(calendar.State, "CLOSED");
    await advance(Math.ceil((inFreeze - (Date.now() + advanced)) / 1000) + 60);
    const e = await waitFor(server, id as string, (x) => ["Success", "Failed"].includes(x.AutomationExecutionStatus ?? ""), { ssm: server.ssm(w.carol) });
    assert.equal(e.AutomationExecutionStatus, "Success", e.FailureMessage);
    assert.ok(!e.StepExecutions?.some((s) => s.StepName === "CheckChangeCalendar"));
    assert.equal((await admin.send(new GetParameterCommand({ Name: "/changes/hotfix" }))).Parameter?.Value, "done");
  });
});
