import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AddTagsToResourceCommand } from "@aws-sdk/client-ssm";
import type { Page } from "playwright-core";
import { type ConsoleBrowser, checkAccessibility, chromiumMissing, openBrowser, openPage, screenshot, signIn } from "../harness/browser.js";
import { eventually, startServer, type TestServer, testEngine } from "../harness/index.js";
import { type AgentNode, startAgent } from "./sessions-helpers.js";

const TAG = { Key: "console-fleet", Value: "web" };

/** Fleet Manager and Run Command in the console, in a real browser, with two real openssm-agent nodes. */
describe(
  "console: Fleet Manager and Run Command on two tagged nodes",
  { skip: chromiumMissing() || (testEngine === "postgres" && "the console never touches storage: its browser tests run on SQLite") },
  () => {
    let server: TestServer;
    let browser: ConsoleBrowser;
    let nodes: AgentNode[] = [];
    let admin: Page;

    before(async () => {
      server = await startServer();
      [browser, ...nodes] = await Promise.all([openBrowser(), startAgent(server), startAgent(server)]);
      for (const n of nodes) {
        await server.ssm().send(new AddTagsToResourceCommand({ ResourceType: "ManagedInstance", ResourceId: n.instanceId, Tags: [TAG] }));
      }
      admin = await signIn(browser, server, server.admin);
    });
    after(async () => {
      await browser?.close();
      await Promise.all(nodes.map((n) => n.stop()));
      await server?.destroy();
    });

    it("shows the fleet: two tagged nodes online, with the ping-status chart and the node's page", async () => {
      await openPage(admin, server, "/nodes", "Managed nodes");
      for (const n of nodes) await admin.getByRole("link", { name: n.instanceId }).waitFor();
      await admin
        .getByRole("cell", { name: `${TAG.Key}=${TAG.Value}` })
        .first()
        .waitFor();
      assert.equal(await admin.getByRole("cell", { name: "Online" }).count(), 2);
      await checkAccessibility(admin, "nodes");
      await screenshot(admin, "nodes");
      await openPage(admin, server, `/nodes/${nodes[0].instanceId}`, nodes[0].instanceId);
      await admin.getByText(/openssm session port-forward --target/).waitFor();
      await screenshot(admin, "node");
    });

    it("runs a command on the two tagged nodes and shows both outputs as they arrive", async () => {
      await openPage(admin, server, "/run-command/run", "Run a command");
      await admin.getByLabel("commands").fill("echo console-run-$((20+22))");
      await admin.getByLabel("Tag key").fill(TAG.Key);
      await admin.getByLabel("Tag value").fill(TAG.Value);
      await admin.getByRole("button", { name: "Run", exact: true }).click();
      await admin.getByRole("heading", { name: /^Command [0-9a-f-]{36}$/ }).waitFor();
      for (const n of nodes) {
        await eventually(async () => (await admin.getByTestId(`output-${n.instanceId}`).textContent())?.includes("console-run-42"), {
          what: `the output of ${n.instanceId} in the console`,
          timeoutMs: 60_000,
          intervalMs: 250,
        });
      }
      await admin.getByText("Success").first().waitFor();
      await checkAccessibility(admin, "command");
      await screenshot(admin, "command");
    });
  },
);
