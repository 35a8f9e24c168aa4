import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateDocumentCommand, DescribeAutomationExecutionsCommand, DescribeOpsItemsCommand } from "@aws-sdk/client-ssm";
import { allowAll, awsCli, createUser, type TestServer, type TestUser } from "../harness/index.js";
import { createRunbook } from "./automation-support.js";

export const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
export const HOUR = 3_600_000;

/** A change template: approval levels (one IAM user each), seed 003's freeze calendar, the runbooks it allows. */
export function templateYaml(opts: { levels: string[]; emergency?: boolean; autoApprovable?: boolean; runbooks: string[] }): string {
  const steps = opts.levels
    .map(
      (user, i) => `  - name: ApproveLevel${i + 1}
    action: aws:approve
    inputs:
      Message: Level ${i + 1} approval
      EnhancedApprovals:
        MinRequiredApprovals: 1
        Approvers:
          - approver: ${user}
            type: IamUser`,
    )
    .join("\n");
  return `description: Patch the web fleet
templateInformation: Patches the nodes tagged Role=web
schemaVersion: '0.3'
emergencyChange: ${Boolean(opts.emergency)}
autoApprovable: ${Boolean(opts.autoApprovable)}
changeCalendars:
  - BlackFridayFreeze
executableRunBooks:
${opts.runbooks.map((r) => `  - name: ${r}\n    version: '1'`).join("\n")}
mainSteps:
${steps}
`;
}

export interface ChangeWorld {
  alice: TestUser;
  bob: TestUser;
  carol: TestUser;
  /** The server's time when the world was made (ms); the freeze is [t0 + 1 h, t0 + 5 h]. */
  t0: number;
}

/**
 * Approvers alice and bob, requester carol; seed 003's BlackFridayFreeze calendar (NOT_ALLOWED from
 * an hour from now, for four hours); the runbooks PatchWebNode (Run Command on one node) and
 * RecordChange (writes a parameter); the change template PatchWebFleet, created with the aws CLI (or the SDK: `cli: false`).
 */
export async function changeWorld(server: TestServer, dir: string, opts: { cli?: boolean } = {}): Promise<ChangeWorld> {
  const ssm = server.ssm();
  const [alice, bob, carol] = [
    await createUser(server, "alice", [allowAll]),
    await createUser(server, "bob", [allowAll]),
    await createUser(server, "carol", [allowAll]),
  ];
  const t0 = Date.now();
  await ssm.send(
    new CreateDocumentCommand({
      Name: "BlackFridayFreeze",
      DocumentType: "ChangeCalendar",
      DocumentFormat: "JSON",
      Content: JSON.stringify({
        schemaVersion: "1.0",
        description: "Change Calendar for Black Friday freeze",
        calendarEvents: [{ name: "BlackFridayFreeze", type: "NOT_ALLOWED", startTime: iso(t0 + HOUR), endTime: iso(t0 + 5 * HOUR) }],
      }),
    }),
  );
  await createRunbook(ssm, "PatchWebNode", {
    schemaVersion: "0.3",
    parameters: { InstanceId: { type: "String" }, Message: { type: "String", default: "patched" } },
    mainSteps: [
      {
        name: "patch",
        action: "aws:runCommand",
        inputs: { DocumentName: "AWS-RunShellScript", InstanceIds: ["{{ InstanceId }}"], Parameters: { commands: ["echo {{ Message }} on $(hostname)"] } },
      },
    ],
  });
  await createRunbook(ssm, "RecordChange", {
    schemaVersion: "0.3",
    parameters: { Name: { type: "String" }, Value: { type: "String" } },
    mainSteps: [
      {
        name: "record",
        action: "aws:executeAwsApi",
        inputs: { Service: "ssm", Api: "PutParameter", Name: "{{ Name }}", Value: "{{ Value }}", Type: "String" },
      },
    ],
  });
  const template = templateYaml({ levels: ["alice", "bob"], runbooks: ["PatchWebNode", "RecordChange"] });
  if (opts.cli === false) {
    await ssm.send(new CreateDocumentCommand({ Name: "PatchWebFleet", DocumentType: "Automation.ChangeTemplate", DocumentFormat: "YAML", Content: template }));
    return { alice, bob, carol, t0 };
  }
  const file = join(dir, "template.yml");
  writeFileSync(file, template);
  const created = await awsCli(server, [
    "ssm",
    "create-document",
    "--name",
    "PatchWebFleet",
    "--document-type",
    "Automation.ChangeTemplate",
    "--document-format",
    "YAML",
    "--content",
    `file://${file}`,
  ]);
  if (created.code !== 0) throw new Error(`create-document failed: ${created.stderr}`);
  return { alice, bob, carol, t0 };
}

/** The /aws/changerequest OpsItems and the ChangeRequest executions there are now. */
export async function changeRequestCounts(server: TestServer): Promise<[number, number]> {
  const ssm = server.ssm();
  const items = await ssm.send(
    new DescribeOpsItemsCommand({ OpsItemFilters: [{ Key: "OpsItemType", Values: ["/aws/changerequest"], Operator: "Equal" }], MaxResults: 50 }),
  );
  const execs = await ssm.send(new DescribeAutomationExecutionsCommand({ Filters: [{ Key: "AutomationSubtype", Values: ["ChangeRequest"] }], MaxResults: 50 }));
  return [items.OpsItemSummaries?.length ?? 0, execs.AutomationExecutionMetadataList?.length ?? 0];
}
