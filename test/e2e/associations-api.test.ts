import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  AddTagsToResourceCommand,
  CreateAssociationBatchCommand,
  CreateAssociationCommand,
  type CreateAssociationCommandInput,
  CreateDocumentCommand,
  DeleteAssociationCommand,
  DescribeAssociationCommand,
  DescribeAssociationExecutionsCommand,
  DescribeAssociationExecutionTargetsCommand,
  DescribeEffectiveInstanceAssociationsCommand,
  DescribeInstanceAssociationsStatusCommand,
  DescribeInstanceInformationCommand,
  ListAssociationsCommand,
  ListAssociationVersionsCommand,
  ListComplianceItemsCommand,
  type SSMClient,
  StartAssociationsOnceCommand,
  UpdateAssociationCommand,
} from "@aws-sdk/client-ssm";
import { type ControlChannel, type FakeNode, registerFakeNode } from "../harness/fake-node.js";
import { awsCli, eventually, startServer, type TestServer } from "../harness/index.js";

describe("State Manager: associations through the API, applied by nodes that report back", () => {
  let server: TestServer;
  let ssm: SSMClient;
  const web: FakeNode[] = [];
  let db: FakeNode;
  let channel: ControlChannel;
  let cronAssociation = "";

  const listed = async (n: FakeNode) => {
    const r = await n.ssm("ListInstanceAssociations", { InstanceId: n.instanceId });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.Associations as {
      AssociationId: string;
      DetailedStatus?: string;
      ExecutionId?: string;
      Name: string;
      Parameters?: Record<string, string[]>;
    }[];
  };
  const report = (n: FakeNode, associationId: string, Status: string, ExecutionSummary = `${Status} on ${n.instanceId}`) =>
    n.ssm("UpdateInstanceAssociationStatus", {
      AssociationId: associationId,
      InstanceId: n.instanceId,
      ExecutionResult: { Status, ExecutionDate: Date.now() / 1000, ExecutionSummary, ErrorCode: Status === "Failed" ? "1" : "" },
    });
  const create = async (input: Partial<CreateAssociationCommandInput>) =>
    String(
      (
        await ssm.send(
          new CreateAssociationCommand({ Name: "AWS-RunShellScript", Parameters: { commands: ["true"] }, ...input } as CreateAssociationCommandInput),
        )
      ).AssociationDescription?.AssociationId,
    );

  before(async () => {
    server = await startServer({ testClock: true });
    ssm = server.ssm();
    for (let i = 0; i < 2; i++) web.push(await registerFakeNode(server, { Environment: "Production" }));
    db = await registerFakeNode(server, { Environment: "Staging" });
    channel = await web[0].openControlChannel();
  });
  after(async () => {
    await channel?.close();
    await server?.destroy();
  });

  test("an association by tag: Pending on each matching node, nudged, reported, counted, compliance written", async () => {
    const r = await awsCli(server, [
      "ssm",
      "create-association",
      "--name",
      "AWS-RunShellScript",
      "--association-name",
      "ensure-ntp",
      "--targets",
      "Key=tag:Environment,Values=Production",
      "--parameters",
      'commands=["systemctl is-active chrony || systemctl start chrony"]',
      "--schedule-expression",
      "cron(0 */4 * * ? *)",
      "--compliance-severity",
      "HIGH",
      "--max-concurrency",
      "10%",
      "--max-errors",
      "5",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const id = r.json.AssociationDescription.AssociationId as string;
    assert.equal(r.json.AssociationDescription.Overview.Status, "Pending");
    assert.equal(r.json.AssociationDescription.AssociationVersion, "1");
    // MaxConcurrency 10% of 2 nodes: one at a time
    const pendingNow = async () => {
      const all = await Promise.all(web.map(async (n) => (await listed(n)).find((a) => a.AssociationId === id)));
      return all.map((a) => a?.DetailedStatus);
    };
    const first = await pendingNow();
    assert.equal(first.filter((s) => s === "Pending").length, 1, JSON.stringify(first));
    assert.deepEqual(await listed(db), []);
    const turn = first[0] === "Pending" ? 0 : 1;
    const mine = (await listed(web[turn])).find((a) => a.AssociationId === id);
    assert.ok(mine?.ExecutionId);
    assert.deepEqual(mine?.Parameters, { commands: ["systemctl is-active chrony || systemctl start chrony"] });
    if (turn === 0) {
      const job = await channel.until(
        () => channel.jobs.find((j) => JSON.parse(j.job.Content).DocumentName === "AWS-RefreshAssociation"),
        10_000,
        "the refresh job",
      );
      assert.deepEqual(JSON.parse(job.job.Content).Parameters.associationIds, [id]);
    }
    assert.equal((await report(web[turn], id, "InProgress")).status, 200);
    assert.equal((await report(web[turn], id, "Success")).status, 200);
    const other = 1 - turn;
    await eventually(async () => ((await listed(web[other])).find((a) => a.AssociationId === id)?.DetailedStatus === "Pending" ? true : undefined), {
      what: "the second node's turn",
    });
    assert.equal((await report(web[other], id, "Failed", "chrony: not found")).status, 200);
    const d = (await ssm.send(new DescribeAssociationCommand({ AssociationId: id }))).AssociationDescription;
    assert.equal(d?.Overview?.Status, "Failed");
    assert.deepEqual(d?.Overview?.AssociationStatusAggregatedCount, { Success: 1, Failed: 1 });
    assert.equal(d?.ComplianceSeverity, "HIGH");
    const executions = (await ssm.send(new DescribeAssociationExecutionsCommand({ AssociationId: id }))).AssociationExecutions ?? [];
    assert.equal(executions.length, 1);
    assert.equal(executions[0].Status, "Failed");
    assert.equal(executions[0].ResourceCountByStatus, "{Failed=1, Success=1}");
    const targets = await ssm.send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: id, ExecutionId: executions[0].ExecutionId }));
    assert.deepEqual(
      targets.AssociationExecutionTargets?.map((t) => [t.ResourceId, t.Status]).sort(),
      [
        [web[turn].instanceId, "Success"],
        [web[other].instanceId, "Failed"],
      ].sort(),
    );
    const compliance = await ssm.send(
      new ListComplianceItemsCommand({ ResourceIds: [web[other].instanceId], Filters: [{ Key: "ComplianceType", Values: ["Association"] }] }),
    );
    assert.equal(compliance.ComplianceItems?.[0].Status, "NON_COMPLIANT");
    assert.equal(compliance.ComplianceItems?.[0].Severity, "HIGH");
    assert.equal(compliance.ComplianceItems?.[0].Id, id);
    const info = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: "InstanceIds", Values: [web[other].instanceId] }] }));
    assert.equal(info.InstanceInformationList?.[0].AssociationStatus, "Failed");
    const status = await ssm.send(new DescribeInstanceAssociationsStatusCommand({ InstanceId: web[other].instanceId }));
    assert.equal(status.InstanceAssociationStatusInfos?.[0].Status, "Failed");
    assert.equal(status.InstanceAssociationStatusInfos?.[0].ExecutionSummary, "chrony: not found");
    const effective = await ssm.send(new DescribeEffectiveInstanceAssociationsCommand({ InstanceId: web[turn].instanceId }));
    assert.match(String(effective.Associations?.[0].Content), /aws:runShellScript/);
    cronAssociation = id;
  });

  test("a node that starts to match gets the association at once; StartAssociationsOnce applies it again", async () => {
    const id = await create({ Targets: [{ Key: "tag:Role", Values: ["cache"] }], ScheduleExpression: "rate(1 day)" });
    assert.equal(
      (await ssm.send(new DescribeAssociationCommand({ AssociationId: id }))).AssociationDescription?.Status?.Message,
      "The targets match no managed node yet.",
    );
    await ssm.send(new AddTagsToResourceCommand({ ResourceType: "ManagedInstance", ResourceId: db.instanceId, Tags: [{ Key: "Role", Value: "cache" }] }));
    await eventually(async () => ((await listed(db)).find((a) => a.AssociationId === id)?.DetailedStatus === "Pending" ? true : undefined), {
      what: "the association on the newly matching node",
    });
    await report(db, id, "Success");
    await ssm.send(new StartAssociationsOnceCommand({ AssociationIds: [id] }));
    assert.equal((await listed(db)).find((a) => a.AssociationId === id)?.DetailedStatus, "Pending");
    const executions = (await ssm.send(new DescribeAssociationExecutionsCommand({ AssociationId: id }))).AssociationExecutions ?? [];
    assert.equal(executions.length, 2);
  });

  test("a run the node reported InProgress is no longer Pending to it; a late report of an older run changes nothing; a new run is Pending again", async () => {
    // amazon-ssm-agent lists its associations again (30 s after boot, every 10 minutes) and submits every Pending one.
    const n = await registerFakeNode(server, { Duty: "taken" });
    const id = await create({ Targets: [{ Key: "InstanceIds", Values: [n.instanceId] }] });
    const mine = async () => (await listed(n)).find((a) => a.AssociationId === id) as { Status?: string; DetailedStatus?: string; ExecutionId?: string };
    const statusInfo = async () =>
      (await ssm.send(new DescribeInstanceAssociationsStatusCommand({ InstanceId: n.instanceId }))).InstanceAssociationStatusInfos?.find(
        (i) => i.AssociationId === id,
      );
    const reportAt = async (Status: string, at: number) => {
      const r = await n.ssm("UpdateInstanceAssociationStatus", {
        AssociationId: id,
        InstanceId: n.instanceId,
        ExecutionResult: { Status, ExecutionDate: at / 1000, ExecutionSummary: `${Status} at ${at}`, ErrorCode: "" },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    };
    const firstRun = await mine();
    assert.equal(firstRun.DetailedStatus, "Pending");
    assert.ok(firstRun.ExecutionId);
    const startedAt = Date.now();
    await reportAt("InProgress", startedAt);
    const running = await mine();
    assert.equal(running.DetailedStatus, "InProgress");
    assert.equal(running.Status, "InProgress");
    assert.equal(running.ExecutionId, undefined);
    let info = await statusInfo();
    assert.equal(info?.Status, "InProgress");
    assert.equal(info?.DetailedStatus, "InProgress");
    // Still busy with that run: another run now skips the node rather than offering it again.
    await ssm.send(new StartAssociationsOnceCommand({ AssociationIds: [id] }));
    assert.equal((await mine()).DetailedStatus, "InProgress");
    const [busyRun] = (await ssm.send(new DescribeAssociationExecutionsCommand({ AssociationId: id }))).AssociationExecutions ?? [];
    const skipped = await ssm.send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: id, ExecutionId: busyRun.ExecutionId }));
    assert.deepEqual(
      skipped.AssociationExecutionTargets?.map((t) => [t.Status, t.DetailedStatus]),
      [["Skipped", "PreviousApplicationInProgress"]],
    );
    const finishedAt = startedAt + 1500;
    await reportAt("Success", finishedAt);
    assert.equal((await mine()).DetailedStatus, "Success");
    info = await statusInfo();
    assert.equal(info?.Status, "Success");
    // A late InProgress of the finished run does not reopen it.
    await reportAt("InProgress", startedAt);
    assert.equal((await mine()).DetailedStatus, "Success");
    assert.equal((await statusInfo())?.Status, "Success");
    // A new run is Pending again, and a late InProgress of the older run does not take it.
    await ssm.send(new StartAssociationsOnceCommand({ AssociationIds: [id] }));
    const secondRun = await mine();
    assert.equal(secondRun.DetailedStatus, "Pending");
    assert.ok(secondRun.ExecutionId && secondRun.ExecutionId !== firstRun.ExecutionId);
    await reportAt("InProgress", startedAt + 500);
    assert.equal((await mine()).DetailedStatus, "Pending");
    assert.equal((await statusInfo())?.Status, "Pending");
    await reportAt("InProgress", Date.now() + 2000);
    assert.equal((await mine()).DetailedStatus, "InProgress");
    assert.equal((await statusInfo())?.Status, "InProgress");
    await reportAt("Success", Date.now() + 3000);
    assert.equal((await mine()).DetailedStatus, "Success");
    const executions = (await ssm.send(new DescribeAssociationExecutionsCommand({ AssociationId: id }))).AssociationExecutions ?? [];
    assert.deepEqual(
      executions.map((e) => e.Status),
      ["Success", "Success", "Success"],
    );
  });

  test("UpdateAssociation makes a new version; versions, lists, batch", async () => {
    const id = await create({ Targets: [{ Key: "InstanceIds", Values: ["*"] }], AssociationName: "everywhere" });
    const updated = await ssm.send(
      new UpdateAssociationCommand({ AssociationId: id, AssociationVersion: "1", Parameters: { commands: ["echo two"] }, ScheduleExpression: "rate(2 hours)" }),
    );
    assert.equal(updated.AssociationDescription?.AssociationVersion, "2");
    assert.equal(updated.AssociationDescription?.ScheduleExpression, "rate(2 hours)");
    const stale = await ssm.send(new UpdateAssociationCommand({ AssociationId: id, AssociationVersion: "1" })).catch((e) => e);
    assert.equal(stale.name, "InvalidAssociationVersion");
    const versions = (await ssm.send(new ListAssociationVersionsCommand({ AssociationId: id }))).AssociationVersions ?? [];
    assert.deepEqual(
      versions.map((v) => [v.AssociationVersion, v.Parameters?.commands?.[0]]),
      [
        ["1", "true"],
        ["2", "echo two"],
      ],
    );
    const old = await ssm.send(new DescribeAssociationCommand({ AssociationId: id, AssociationVersion: "1" }));
    assert.equal(old.AssociationDescription?.Parameters?.commands?.[0], "true");
    const byName =
      (await ssm.send(new ListAssociationsCommand({ AssociationFilterList: [{ key: "AssociationName", value: "everywhere" }] }))).Associations ?? [];
    assert.deepEqual(
      byName.map((a) => a.AssociationId),
      [id],
    );
    const byNode = (await ssm.send(new ListAssociationsCommand({ AssociationFilterList: [{ key: "InstanceId", value: db.instanceId }] }))).Associations ?? [];
    assert.ok(byNode.some((a) => a.AssociationId === id));
    await ssm.send(new DeleteAssociationCommand({ AssociationId: id }));
    assert.deepEqual(
      (await listed(db)).filter((a) => a.AssociationId === id),
      [],
    );
    const batch = await ssm.send(
      new CreateAssociationBatchCommand({
        Entries: [
          { Name: "AWS-RunShellScript", Targets: [{ Key: "tag:Nothing", Values: ["here"] }], Parameters: { commands: ["true"] } },
          { Name: "No-Such-Document", Targets: [{ Key: "tag:Nothing", Values: ["here"] }] },
          {
            Name: "AWS-RunShellScript",
            Targets: [{ Key: "tag:Nothing", Values: ["here"] }],
            ScheduleExpression: "rate(1 minute)",
            Parameters: { commands: ["true"] },
          },
        ],
      }),
    );
    assert.equal(batch.Successful?.length, 1);
    assert.equal(batch.Failed?.length, 2);
    assert.equal(batch.Failed?.[0].Fault, "Client");
    assert.match(String(batch.Failed?.[0].Message), /InvalidDocument/);
    assert.match(String(batch.Failed?.[1].Message), /InvalidSchedule/);
  });

  test("bad input answers AWS's errors naming what is wrong; nothing is stored", async () => {
    const before = (await ssm.send(new ListAssociationsCommand({}))).Associations?.length;
    const err = async (input: Partial<CreateAssociationCommandInput>) => {
      try {
        await create({ Targets: [{ Key: "InstanceIds", Values: ["*"] }], ...input });
      } catch (e) {
        return e as Error;
      }
      assert.fail(`expected ${JSON.stringify(input)} to be refused`);
    };
    for (const expr of ["cron(61 * * * ? *)", "rate(0 minutes)", "rate(1 minute)", "cron(0 2 * * *)", "every day"]) {
      const e = await err({ ScheduleExpression: expr });
      assert.equal(e.name, "InvalidSchedule", `${expr}: ${e.message}`);
      assert.ok(e.message.includes(expr), `${expr}: ${e.message}`);
    }
    const doc = await err({ Name: "No-Such-Document" });
    assert.equal(doc.name, "InvalidDocument");
    const param = await err({ Parameters: { commandz: ["x"] } });
    assert.equal(param.name, "InvalidParameters");
    assert.match(param.message, /commandz/);
    const offset = await err({ ScheduleExpression: "rate(1 day)", ScheduleOffset: 2 });
    assert.equal(offset.name, "InvalidSchedule");
    const target = await err({ Targets: [{ Key: "resource-groups:Name", Values: ["web"] }] });
    assert.equal(target.name, "InvalidTarget");
    const calendar = await err({ CalendarNames: ["No-Such-Calendar"] });
    assert.equal(calendar.name, "InvalidDocument");
    assert.equal((await ssm.send(new ListAssociationsCommand({}))).Associations?.length, before);
    const missing = await ssm.send(new DescribeAssociationCommand({ AssociationId: "00000000-0000-4000-8000-000000000000" })).catch((e) => e);
    assert.equal(missing.name, "AssociationDoesNotExist");
  });

  test("CalendarNames: a closed change calendar holds the association back", async () => {
    const now = Date.now();
    const iso = (t: number) => new Date(t).toISOString().replace(/\.\d+Z$/, "Z");
    await ssm.send(
      new CreateDocumentCommand({
        Name: "AssocFreeze",
        DocumentType: "ChangeCalendar",
        Content: JSON.stringify({
          schemaVersion: "1.0",
          calendarEvents: [{ name: "freeze", type: "NOT_ALLOWED", startTime: iso(now - 3_600_000), endTime: iso(now + 3_600_000) }],
        }),
      }),
    );
    const id = await create({ Targets: [{ Key: "tag:Role", Values: ["cache"] }], ScheduleExpression: "rate(1 day)", CalendarNames: ["AssocFreeze"] });
    assert.deepEqual((await ssm.send(new DescribeAssociationCommand({ AssociationId: id }))).AssociationDescription?.CalendarNames, ["AssocFreeze"]);
    assert.equal((await ssm.send(new DescribeAssociationExecutionsCommand({ AssociationId: id }))).AssociationExecutions?.length, 0);
    assert.notEqual((await listed(db)).find((a) => a.AssociationId === id)?.DetailedStatus, "Pending");
    await ssm.send(new DeleteAssociationCommand({ AssociationId: id }));
  });

  test("the next cron time applies the association again (moved clock); deleted, it is gone", async () => {
    const count = async () => (await ssm.send(new DescribeAssociationExecutionsCommand({ AssociationId: cronAssociation }))).AssociationExecutions?.length;
    assert.equal(await count(), 1);
    await server.advanceClock(4 * 3600);
    await eventually(async () => ((await count()) === 2 ? true : undefined), { what: "a second execution at the next cron time" });
    const latest = (await ssm.send(new DescribeAssociationExecutionsCommand({ AssociationId: cronAssociation }))).AssociationExecutions?.[0];
    assert.equal(latest?.Status, "Pending");
    const associationItems = async () =>
      (
        await ssm.send(
          new ListComplianceItemsCommand({ ResourceIds: web.map((n) => n.instanceId), Filters: [{ Key: "ComplianceType", Values: ["Association"] }] }),
        )
      ).ComplianceItems?.filter((i) => i.Id === cronAssociation).length;
    assert.equal(await associationItems(), 2);
    await ssm.send(new DeleteAssociationCommand({ AssociationId: cronAssociation }));
    const gone = await ssm.send(new DescribeAssociationCommand({ AssociationId: cronAssociation })).catch((e) => e);
    assert.equal(gone.name, "AssociationDoesNotExist");
    // Its association compliance goes with it.
    assert.equal(await associationItems(), 0);
  });
  test("Duration: a run past its hours is TimedOut and the nodes not started are not started", async () => {
    // Nodes of their own: the earlier tests moved the clock past the others' credentials.
    const pair = [await registerFakeNode(server, { Duty: "short" }), await registerFakeNode(server, { Duty: "short" })];
    const id = await create({
      Targets: [{ Key: "tag:Duty", Values: ["short"] }],
      ScheduleExpression: "cron(0 0 1 1 ? *)",
      ApplyOnlyAtCronInterval: true,
      Duration: 1,
      MaxConcurrency: "1",
    });
    await ssm.send(new StartAssociationsOnceCommand({ AssociationIds: [id] }));
    const executions = async () => (await ssm.send(new DescribeAssociationExecutionsCommand({ AssociationId: id }))).AssociationExecutions ?? [];
    const [execution] = await executions();
    const targets = async () =>
      Object.fromEntries(
        (
          (await ssm.send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: id, ExecutionId: execution.ExecutionId })))
            .AssociationExecutionTargets ?? []
        ).map((t) => [t.ResourceId, [t.Status, t.DetailedStatus]]),
      );
    const started = Object.entries(await targets()).find(([, v]) => (v as string[])[0] === "Pending");
    assert.ok(started, JSON.stringify(await targets()));
    const node = started[0] === pair[0].instanceId ? pair[0] : pair[1];
    const waiting = node === pair[0] ? pair[1] : pair[0];
    const inProgress = await report(node, id, "InProgress");
    assert.equal(inProgress.status, 200, JSON.stringify(inProgress.body));
    await server.advanceClock(3700);
    await eventually(async () => ((await executions())[0]?.Status === "TimedOut" ? true : undefined), { what: "the execution TimedOut" });
    assert.equal((await executions()).length, 1);
    assert.deepEqual(await targets(), {
      [node.instanceId]: ["TimedOut", "DurationExceeded"],
      [waiting.instanceId]: ["Skipped", "DurationExceeded"],
    });
    const status = await ssm.send(new DescribeInstanceAssociationsStatusCommand({ InstanceId: node.instanceId }));
    assert.equal(status.InstanceAssociationStatusInfos?.find((i) => i.AssociationId === id)?.Status, "TimedOut");
    const compliance = await ssm.send(
      new ListComplianceItemsCommand({ ResourceIds: [node.instanceId], Filters: [{ Key: "ComplianceType", Values: ["Association"] }] }),
    );
    assert.equal(compliance.ComplianceItems?.find((i) => i.Id === id)?.Status, "NON_COMPLIANT");
  });
  test("a node that took a run and went quiet past the document's execution timeout is freed: TimedOut, and the next application reaches it", async () => {
    const node = await registerFakeNode(server, { Duty: "quiet" });
    const id = await create({
      Targets: [{ Key: "tag:Duty", Values: ["quiet"] }],
      Parameters: { commands: ["true"], executionTimeout: ["300"] },
      ScheduleExpression: "cron(0 0 1 1 ? *)",
      ApplyOnlyAtCronInterval: true,
    });
    const targetsOf = async (executionId?: string) =>
      ((await ssm.send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: id, ExecutionId: executionId }))).AssociationExecutionTargets ?? []).map(
        (t) => [t.Status, t.DetailedStatus],
      );
    const executions = async () => (await ssm.send(new DescribeAssociationExecutionsCommand({ AssociationId: id }))).AssociationExecutions ?? [];
    await ssm.send(new StartAssociationsOnceCommand({ AssociationIds: [id] }));
    const [first] = await executions();
    const taken = await report(node, id, "InProgress");
    assert.equal(taken.status, 200, JSON.stringify(taken.body));
    // Still within the time a run may take (300 s and a 60 s grace): busy, so another application skips it.
    await server.advanceClock(200);
    await ssm.send(new StartAssociationsOnceCommand({ AssociationIds: [id] }));
    const skipped = (await executions()).find((e) => e.ExecutionId !== first.ExecutionId);
    assert.deepEqual(await targetsOf(skipped?.ExecutionId), [["Skipped", "PreviousApplicationInProgress"]]);
    assert.equal((await listed(node)).find((a) => a.AssociationId === id)?.DetailedStatus, "InProgress");
    // Past it: the run ends TimedOut, the node is no longer busy.
    await server.advanceClock(200);
    await eventually(async () => ((await targetsOf(first.ExecutionId))[0][0] === "TimedOut" ? true : undefined), { what: "the quiet run TimedOut" });
    assert.deepEqual(await targetsOf(first.ExecutionId), [["TimedOut", "TimedOut"]]);
    // Its execution ends as one whose node failed.
    assert.equal((await executions()).find((e) => e.ExecutionId === first.ExecutionId)?.Status, "Failed");
    const status = (await ssm.send(new DescribeInstanceAssociationsStatusCommand({ InstanceId: node.instanceId }))).InstanceAssociationStatusInfos?.find(
      (i) => i.AssociationId === id,
    );
    assert.equal(status?.Status, "TimedOut");
    assert.match(String(status?.ExecutionSummary), /no outcome within 360 s/);
    await ssm.send(new StartAssociationsOnceCommand({ AssociationIds: [id] }));
    const next = (await executions())[0];
    assert.deepEqual(await targetsOf(next.ExecutionId), [["Pending", "Pending"]]);
    const offered = (await listed(node)).find((a) => a.AssociationId === id);
    assert.equal(offered?.DetailedStatus, "Pending");
    assert.equal(offered?.ExecutionId, next.ExecutionId);
  });
});
