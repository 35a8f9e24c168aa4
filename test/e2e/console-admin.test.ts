import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GetAutomationExecutionCommand, GetParameterCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { type ConsoleBrowser, checkAccessibility, chromiumMissing, openBrowser, screenshot, signIn } from "../harness/browser.js";
import { defaultAccountId, eventually, startServer, testEngine, type TestServer } from "../harness/index.js";
import { createRunbook, start, waitFor } from "./automation-support.js";
import { signedCall } from "./security-helpers.js";

/** The console's administration and operations pages, in a real browser (SQLite: the console never touches storage). */
describe(
  "console: IAM, audit trail, events, automation approvals and the operations pages",
  { skip: chromiumMissing() || (testEngine === "postgres" && "the console does not touch storage: SQLite only") },
  () => {
    let server: TestServer;
    let browser: ConsoleBrowser;
    let account: string;

    before(async () => {
      server = await startServer();
      account = await defaultAccountId(server);
      browser = await openBrowser();
    });
    after(async () => {
      await browser?.close();
      await server?.destroy();
    });

    it("an admin creates an IAM user with a policy and a key; the key works as the policy says; the audit page shows the calls", async () => {
      const page = await signIn(browser, server, server.admin);
      await page.goto(`${server.endpoint}/console/#/iam/users/create`);
      await page.getByLabel("User name", { exact: true }).fill("console-dev");
      await page.getByLabel("Policy name", { exact: true }).fill("read-dev");
      const policy = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ssm:GetParameter", Resource: "arn:aws:ssm:*:*:parameter/console/*" }] };
      await page.getByLabel("Policy document", { exact: true }).fill(JSON.stringify(policy));
      await page.getByRole("button", { name: "Create user" }).click();
      await page.getByRole("heading", { name: "console-dev", level: 1 }).waitFor();
      await page.getByText(`arn:aws:iam::${account}:user/console-dev`).waitFor();
      await page.getByRole("button", { name: "Create access key" }).click();
      const secret = (await page.getByTestId("new-secret").textContent())?.trim() ?? "";
      const keyId = (await page.getByRole("cell", { name: /^AKIA/ }).first().textContent())?.trim() ?? "";
      assert.equal(secret.length, 40);
      await checkAccessibility(page, "iam-user");
      await screenshot(page, "iam-user");

      const ssm = server.ssm({ accessKeyId: keyId, secretAccessKey: secret });
      await server.ssm().send(new PutParameterCommand({ Name: "/console/x", Value: "1", Type: "String" }));
      assert.equal((await ssm.send(new GetParameterCommand({ Name: "/console/x" }))).Parameter?.Value, "1");
      const denied = await signedCall(server, "OpenSSM.ListUsers", "{}", { accessKeyId: keyId, secretAccessKey: secret });
      assert.equal(denied.type, "AccessDeniedException");

      await page.goto(`${server.endpoint}/console/#/iam/users`);
      await page.getByRole("link", { name: "console-dev" }).waitFor();
      await checkAccessibility(page, "iam-users");

      // The new user's own console: the user list is refused, and the page says which action and why.
      const narrow = await signIn(browser, server, { accessKeyId: keyId, secretAccessKey: secret });
      await narrow.goto(`${server.endpoint}/console/#/iam/users`);
      const alert = narrow.getByTestId("access-denied");
      await alert.waitFor();
      assert.match((await alert.textContent()) ?? "", /iam:ListUsers/);
      await checkAccessibility(narrow, "iam-users-denied");
      await screenshot(narrow, "iam-users-denied");
      await narrow.close();

      await page.goto(`${server.endpoint}/console/#/audit`);
      await page.getByLabel("Operation", { exact: true }).fill("PutUserPolicy");
      await page.getByRole("button", { name: "Search" }).click();
      await page.getByRole("cell", { name: "openssm:PutUserPolicy" }).first().waitFor();
      await page.getByLabel("Operation", { exact: true }).fill("ListUsers");
      await page.getByLabel("Who", { exact: true }).fill("console-dev");
      await page.getByRole("button", { name: "Search" }).click();
      await page
        .getByRole("cell", { name: /AccessDeniedException/ })
        .first()
        .waitFor();
      await checkAccessibility(page, "audit");
      await screenshot(page, "audit");

      await page.goto(`${server.endpoint}/console/#/events`);
      await page.getByRole("cell", { name: "Parameter Store Change" }).first().waitFor();
      await checkAccessibility(page, "events");
    });

    it("an automation waiting at aws:approve is approved with the Approve button and completes", async () => {
      const ssm = server.ssm();
      await createRunbook(ssm, "ConsoleGate", {
        schemaVersion: "0.3",
        mainSteps: [
          { name: "gate", action: "aws:approve", inputs: { Approvers: [`arn:aws:iam::${account}:user/admin`], Message: "ship it?" } },
          { name: "after", action: "aws:sleep", inputs: { Duration: "PT0S" } },
        ],
      });
      const id = await start(ssm, { DocumentName: "ConsoleGate" });
      await waitFor(server, id, (e) => e.AutomationExecutionStatus === "Waiting");
      const page = await signIn(browser, server, server.admin);
      await page.goto(`${server.endpoint}/console/#/automation`);
      await page.getByRole("link", { name: id }).click();
      await page.getByRole("list", { name: "Step graph" }).waitFor();
      await checkAccessibility(page, "automation-execution");
      await screenshot(page, "automation-waiting");
      await page.getByLabel("Approval comment").fill("from the console");
      await page.getByRole("button", { name: "Approve" }).click();
      const done = await waitFor(server, id);
      assert.equal(done.AutomationExecutionStatus, "Success", done.FailureMessage);
      const gate = (await ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: id }))).AutomationExecution?.StepExecutions?.[0];
      assert.equal(gate?.Outputs?.ApprovalStatus?.[0], "Approved");
      await eventually(async () => (await page.getByRole("list", { name: "Step graph" }).textContent())?.includes("Success"), {
        what: "the graph to show the steps' success",
      });
      await screenshot(page, "automation-done");
    });

    it("the other pages load and pass axe", async () => {
      const page = await signIn(browser, server, server.admin);
      const pages: [string, string][] = [
        ["/activations", "Hybrid activations"],
        ["/state-manager", "State Manager"],
        ["/maintenance-windows", "Maintenance Windows"],
        ["/change-calendar", "Change Calendar"],
        ["/ops-items", "OpsItems"],
        ["/compliance", "Compliance"],
        ["/inventory", "Inventory"],
        ["/iam/roles", "Roles"],
      ];
      for (const [path, heading] of pages) {
        await page.goto(`${server.endpoint}/console/#${path}`);
        await page.getByRole("heading", { name: heading, level: 1 }).first().waitFor();
        assert.equal(await page.getByTestId("api-error").count(), 0, `${path} shows an error`);
        await checkAccessibility(page, path.slice(1));
        await screenshot(page, path.slice(1));
      }
    });
  },
);
