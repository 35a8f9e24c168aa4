import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateDocumentCommand,
  CreateOpsItemCommand,
  DescribeMaintenanceWindowsCommand,
  GetOpsItemCommand,
  ListAssociationsCommand,
  PutComplianceItemsCommand,
} from "@aws-sdk/client-ssm";
import type { Page } from "playwright-core";
import { type ConsoleBrowser, checkAccessibility, chromiumMissing, openBrowser, openPage, screenshot, signIn } from "../harness/browser.js";
import { eventually, startServer, type TestServer, testEngine } from "../harness/index.js";
import { type AgentNode, startAgent } from "./sessions-helpers.js";

const TAG = { Key: "console-ops", Value: "web" };
const DAY = 86_400_000;
const icsDate = (t: number) => `${new Date(t).toISOString().slice(0, 10).replace(/-/g, "")}T000000Z`;

/**
 * The operations pages in a real browser: State Manager (an association applied by a real
 * openssm-agent node), Maintenance Windows, Change Calendar's month view, OpsCenter and the
 * compliance dashboard. What the pages only read is made through the API.
 */
describe(
  "console: State Manager, Maintenance Windows, Change Calendar, OpsCenter, Compliance",
  { skip: chromiumMissing() || (testEngine === "postgres" && "the console never touches storage: its browser tests run on SQLite") },
  () => {
    let server: TestServer;
    let browser: ConsoleBrowser;
    let node: AgentNode | undefined;
    let admin: Page;

    before(async () => {
      server = await startServer();
      const [b, n] = await Promise.all([openBrowser(), startAgent(server, [TAG])]);
      browser = b;
      node = n;
      admin = await signIn(browser, server, server.admin);
    });
    after(async () => {
      await browser?.close();
      await node?.stop();
      await server?.destroy();
    });

    it("creates an association from the State Manager page and shows its status once the node applied it", async () => {
      await openPage(admin, server, "/state-manager", "State Manager");
      // A refused create says why, in an alert the user can dismiss (its button has a name).
      await admin.getByLabel("Document", { exact: true }).fill("NoSuchDocument");
      await admin.getByRole("button", { name: "Create association" }).click();
      const refused = admin.getByTestId("api-error").first();
      await refused
        .getByText(/NoSuchDocument/)
        .first()
        .waitFor();
      await checkAccessibility(admin, "state-manager-error");
      await admin.getByRole("button", { name: "Dismiss the error" }).click();
      await refused.waitFor({ state: "detached" });
      await admin.getByLabel("Document", { exact: true }).fill("AWS-RunShellScript");
      await admin.getByLabel("Target tag").fill(`${TAG.Key}=${TAG.Value}`);
      await admin.getByLabel("Parameters").fill('{"commands":["echo console-association"]}');
      await admin.getByRole("button", { name: "Create association" }).click();
      await admin.getByRole("heading", { name: "Association", exact: true, level: 2 }).waitFor();
      const [created] = (await server.ssm().send(new ListAssociationsCommand({}))).Associations ?? [];
      assert.ok(created?.AssociationId, "the association exists");
      await admin.getByRole("heading", { name: created.AssociationId, level: 1 }).waitFor();
      // The node runs it at once; the page (polling) shows the status change.
      await admin
        .getByText(/^Success/)
        .first()
        .waitFor({ timeout: 60_000 });
      await admin.getByRole("cell", { name: "Success" }).first().waitFor({ timeout: 30_000 });
      await checkAccessibility(admin, "association");
      await screenshot(admin, "association");
      await openPage(admin, server, "/state-manager", "State Manager");
      await admin.getByRole("link", { name: created.AssociationId }).waitFor();
      await admin.getByRole("cell", { name: "Success" }).first().waitFor();
      await checkAccessibility(admin, "state-manager");
      await screenshot(admin, "state-manager");
    });

    it("creates a maintenance window", async () => {
      await openPage(admin, server, "/maintenance-windows", "Maintenance Windows");
      await admin.getByLabel("Window name").fill("console-window");
      await admin.getByLabel("Window schedule").fill("cron(0 2 ? * SUN *)");
      await admin.getByLabel("Duration in hours").fill("3");
      await admin.getByLabel("Cutoff in hours").fill("1");
      await admin.getByRole("button", { name: "Create maintenance window" }).click();
      await admin.getByRole("heading", { name: "console-window", level: 1 }).waitFor();
      await admin.getByText("cron(0 2 ? * SUN *)").waitFor();
      const [w] = (await server.ssm().send(new DescribeMaintenanceWindowsCommand({}))).WindowIdentities ?? [];
      assert.equal(w?.Name, "console-window");
      assert.equal(w?.Duration, 3);
      assert.equal(w?.Cutoff, 1);
      await checkAccessibility(admin, "maintenance-window");
      await screenshot(admin, "maintenance-window");
      // A window the server refuses (the cutoff is not below the duration) says why in the form.
      await openPage(admin, server, "/maintenance-windows", "Maintenance Windows");
      await admin.getByRole("link", { name: w.WindowId ?? "" }).waitFor();
      await admin.getByLabel("Window name").fill("console-bad-window");
      await admin.getByLabel("Cutoff in hours").fill("3");
      await admin.getByRole("button", { name: "Create maintenance window" }).click();
      await admin
        .getByTestId("api-error")
        .getByText(/Cutoff \(3 hours\) must be less than Duration/)
        .first()
        .waitFor();
      await checkAccessibility(admin, "maintenance-windows");
      await screenshot(admin, "maintenance-windows");
    });

    it("shows a Change Calendar's state and its events in the month view", async () => {
      const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
      const ics = [
        "BEGIN:VCALENDAR",
        "PRODID:-//openssm//console test//EN",
        "VERSION:2.0",
        "X-CALENDAR-TYPE:DEFAULT_OPEN",
        "BEGIN:VEVENT",
        "UID:console-freeze",
        `DTSTAMP:${icsDate(today)}`,
        "SUMMARY:Console freeze",
        `DTSTART:${icsDate(today)}`,
        `DTEND:${icsDate(today + 2 * DAY)}`,
        "END:VEVENT",
        "END:VCALENDAR",
        "",
      ].join("\r\n");
      await server.ssm().send(new CreateDocumentCommand({ Name: "ConsoleFreeze", DocumentType: "ChangeCalendar", DocumentFormat: "TEXT", Content: ics }));
      await openPage(admin, server, "/change-calendar", "Change Calendar");
      const row = admin.getByRole("row").filter({ has: admin.getByRole("link", { name: "ConsoleFreeze" }) });
      await row.getByText("CLOSED").waitFor();
      await checkAccessibility(admin, "change-calendars");
      await row.getByRole("link", { name: "ConsoleFreeze" }).click();
      await admin.getByRole("heading", { name: "ConsoleFreeze", level: 1 }).waitFor();
      const day = (t: number) => admin.getByTestId(`day-${new Date(t).toISOString().slice(0, 10)}`);
      await day(today).getByText("Console freeze").waitFor();
      assert.equal(
        await day(today + DAY)
          .getByText("Console freeze")
          .count(),
        1,
        "the event covers tomorrow too",
      );
      assert.equal(
        await day(today + 7 * DAY)
          .getByText("Console freeze")
          .count(),
        0,
        "not a week later",
      );
      await admin.getByText("CLOSED").first().waitFor();
      await checkAccessibility(admin, "change-calendar");
      await screenshot(admin, "change-calendar");
    });

    it("opens an OpsItem and changes its status", async () => {
      const { OpsItemId } = await server
        .ssm()
        .send(new CreateOpsItemCommand({ Title: "Disk full on web", Source: "console-test", Description: "The root volume is full.", Severity: "2" }));
      assert.ok(OpsItemId);
      await openPage(admin, server, "/ops-items", "OpsItems");
      await admin.getByRole("link", { name: OpsItemId }).click();
      await admin.getByRole("heading", { name: "Disk full on web", level: 1 }).waitFor();
      await admin.getByText("The root volume is full.").waitFor();
      await admin.getByRole("button", { name: /^Status/ }).click();
      await admin.getByRole("option", { name: "Resolved" }).click();
      await admin.getByRole("button", { name: "Save" }).click();
      await eventually(async () => (await server.ssm().send(new GetOpsItemCommand({ OpsItemId }))).OpsItem?.Status === "Resolved", {
        what: "the OpsItem resolved",
      });
      // The page reloads the item: its status reads Resolved.
      await admin.getByTestId("opsitem-status").getByText("Resolved").waitFor();
      await checkAccessibility(admin, "ops-item");
      await screenshot(admin, "ops-item");
    });

    it("shows the compliance chart after PutComplianceItems", async () => {
      assert.ok(node);
      const put = (type: string, items: { Id: string; Status: "COMPLIANT" | "NON_COMPLIANT"; Severity: "HIGH" | "CRITICAL" }[]) =>
        server.ssm().send(
          new PutComplianceItemsCommand({
            ResourceId: node?.instanceId,
            ResourceType: "ManagedInstance",
            ComplianceType: type,
            ExecutionSummary: { ExecutionTime: new Date() },
            Items: items,
          }),
        );
      await put("Custom:ConsoleGood", [{ Id: "good-1", Status: "COMPLIANT", Severity: "HIGH" }]);
      await put("Custom:ConsoleBad", [
        { Id: "bad-1", Status: "COMPLIANT", Severity: "HIGH" },
        { Id: "bad-2", Status: "NON_COMPLIANT", Severity: "CRITICAL" },
      ]);
      await openPage(admin, server, "/compliance", "Compliance");
      const good = admin.getByRole("row").filter({ hasText: "Custom:ConsoleGood" });
      const bad = admin.getByRole("row").filter({ hasText: "Custom:ConsoleBad" });
      await good.first().waitFor();
      assert.deepEqual(await good.first().getByRole("cell").allTextContents(), ["Custom:ConsoleGood", "1", "0"]);
      assert.deepEqual(await bad.first().getByRole("cell").allTextContents(), ["Custom:ConsoleBad", "0", "1"]);
      // The chart: one non-compliant resource summary (ConsoleBad) of all; the association's and ConsoleGood's compliant.
      const chart = admin.getByTestId("compliance-chart");
      // The segment labels are SVG text (aria-hidden: the chart has its own accessible summary).
      await chart.locator("text", { hasText: "Non-compliant" }).first().waitFor({ state: "attached" });
      const texts = (await chart.locator("text").allTextContents()).map((t) => t.trim());
      const segment = (title: string) => {
        const at = texts.indexOf(title);
        const m = /^(\d+) of (\d+)$/.exec(texts.slice(at + 1).find((t) => /^\d+ of \d+$/.test(t)) ?? "");
        return at >= 0 && m ? { value: Number(m[1]), total: Number(m[2]) } : undefined;
      };
      const nonCompliant = segment("Non-compliant");
      const compliant = segment("Compliant");
      assert.ok(nonCompliant && compliant, `the chart labels both segments with their counts: ${texts.join(" | ")}`);
      // ConsoleBad is non-compliant; ConsoleGood (and the association's own compliance, if reported) compliant.
      assert.equal(nonCompliant.value, 1);
      assert.ok(compliant.value >= 1);
      assert.equal(compliant.value + nonCompliant.value, nonCompliant.total);
      await checkAccessibility(admin, "compliance");
      await screenshot(admin, "compliance");
    });
  },
);
