import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DescribeSessionsCommand } from "@aws-sdk/client-ssm";
import { SignatureV4 } from "@smithy/signature-v4";
import type { Page } from "playwright-core";
import { type ConsoleBrowser, checkAccessibility, chromiumMissing, openBrowser, openPage, screenshot, signIn } from "../harness/browser.js";
import { type Credentials, createUser, eventually, startServer, type TestServer, testEngine } from "../harness/index.js";
import { Sha256 } from "./security-helpers.js";
import { type AgentNode, startAgent } from "./sessions-helpers.js";

/** GET /v1/session-recording/<id>, signed as `creds` (or not signed at all). */
async function getRecording(server: TestServer, sessionId: string, creds?: Credentials): Promise<{ status: number; type: string; text: string }> {
  const url = new URL(`/v1/session-recording/${sessionId}`, server.endpoint);
  let headers: Record<string, string> = {};
  if (creds) {
    const signer = new SignatureV4({ credentials: creds, region: server.region, service: "ssm", sha256: Sha256 });
    const req = await signer.sign({
      method: "GET",
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query: {},
      headers: { host: url.host },
    });
    headers = req.headers as Record<string, string>;
  }
  const res = await fetch(url, { headers });
  return { status: res.status, type: res.headers.get("x-amzn-errortype") ?? "", text: await res.text() };
}

/** What xterm.js shows (its DOM renderer's rows), as text. */
const terminalText = (page: Page, testId: string) => page.getByTestId(testId).locator(".xterm-rows").innerText();

/**
 * A Session Manager shell in the browser (xterm.js over the data channel, the session-manager-plugin's
 * protocol) to a real openssm-agent node, and the session's recording replayed in the browser.
 */
describe(
  "console: a terminal on a node and its recording replayed",
  { skip: chromiumMissing() || (testEngine === "postgres" && "the console never touches storage: its browser tests run on SQLite") },
  () => {
    let server: TestServer;
    let browser: ConsoleBrowser;
    let nodes: AgentNode[] = [];
    let admin: Page;

    before(async () => {
      server = await startServer();
      const [b, node] = await Promise.all([openBrowser(), startAgent(server)]);
      browser = b;
      nodes = [node];
      admin = await signIn(browser, server, server.admin);
    });
    after(async () => {
      await browser?.close();
      await Promise.all(nodes.map((n) => n.stop()));
      await server?.destroy();
    });

    let sessionId = "";
    it("opens a terminal on a node in the browser, types a command and reads its output, and resumes after the socket drops", async () => {
      const node = nodes[0].instanceId;
      // The page keeps the data-channel sockets it opens, so that the test can drop one (the hash
      // route below changes page within this same document).
      await admin.evaluate(() => {
        const w = window as unknown as { __sockets: WebSocket[]; WebSocket: typeof WebSocket };
        const Native = w.WebSocket;
        w.__sockets = [];
        w.WebSocket = class extends Native {
          constructor(url: string | URL, protocols?: string | string[]) {
            super(url, protocols);
            w.__sockets.push(this);
          }
        };
      });
      await openPage(admin, server, `/nodes/${node}/terminal`, `Terminal: ${node}`);
      await admin.getByText("Connected", { exact: true }).waitFor({ timeout: 60_000 });
      sessionId = /Session (\S+)/.exec((await admin.getByTestId("session-id").textContent()) ?? "")?.[1] ?? "";
      assert.ok(sessionId, "the session id is shown");
      await admin.getByTestId("terminal").click();
      await admin.keyboard.type("echo CONSOLE-TERM-$((6*7))\n");
      await eventually(async () => (await terminalText(admin, "terminal")).includes("CONSOLE-TERM-42"), {
        what: "the command's output in the terminal",
        timeoutMs: 30_000,
        intervalMs: 200,
      });
      await screenshot(admin, "terminal");
      const active = await server.ssm().send(new DescribeSessionsCommand({ State: "Active" }));
      assert.ok(active.Sessions?.some((s) => s.SessionId === sessionId && s.Target === node));

      // The socket drops: the terminal calls ResumeSession, opens a new socket with the new token and
      // the stream goes on (its sequence numbers continue), so the next command's output arrives.
      assert.equal(await admin.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.length), 1);
      await admin.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets[0].close(4000, "the test drops the connection"));
      await eventually(async () => (await admin.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.length)) === 2, {
        what: "a second data-channel socket after the drop",
        timeoutMs: 30_000,
        intervalMs: 100,
      });
      await admin.getByText("Connected", { exact: true }).waitFor({ timeout: 30_000 });
      await admin.getByTestId("terminal").click();
      await admin.keyboard.type("echo RESUMED-$((6*7))\n");
      await eventually(async () => (await terminalText(admin, "terminal")).includes("RESUMED-42"), {
        what: "the output of a command typed after the socket was reopened",
        timeoutMs: 30_000,
        intervalMs: 200,
      });
      const audit = await server.ssm().send(new DescribeSessionsCommand({ State: "Active" }));
      assert.ok(
        audit.Sessions?.some((s) => s.SessionId === sessionId),
        "the same session goes on after the drop",
      );
      await admin.keyboard.type("exit\n");
      await admin.getByText("Session ended", { exact: true }).waitFor({ timeout: 30_000 });
    });

    it("replays the terminal session's recording in the browser", async () => {
      assert.ok(sessionId, "the terminal test ran first");
      await eventually(
        async () => {
          const h = await server.ssm().send(new DescribeSessionsCommand({ State: "History" }));
          return h.Sessions?.some((s) => s.SessionId === sessionId && s.Status === "Terminated");
        },
        { what: "the session in history", timeoutMs: 30_000 },
      );
      await openPage(admin, server, `/sessions/${sessionId}`, `Session ${sessionId}`);
      await admin.getByRole("button", { name: "Replay recording" }).click();
      await admin.getByRole("button", { name: "Instant" }).click();
      await eventually(async () => (await terminalText(admin, "replay")).includes("CONSOLE-TERM-42"), {
        what: "the recorded output in the replay",
        timeoutMs: 30_000,
        intervalMs: 200,
      });
      await checkAccessibility(admin, "session");
      // The route the replay reads: signed and authorized (ssm:GetSessionRecording), like an operation.
      const asAdmin = await getRecording(server, sessionId, server.admin);
      assert.equal(asAdmin.status, 200);
      assert.match(asAdmin.text, /^\{"version":2,/);
      assert.match(asAdmin.text, /CONSOLE-TERM-42/);
      assert.equal((await getRecording(server, sessionId)).status, 403);
      const reader = await createUser(server, "sessions-reader", [
        { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ssm:DescribeSessions", Resource: "*" }] },
      ]);
      const denied = await getRecording(server, sessionId, reader);
      assert.equal(denied.status, 403);
      assert.equal(denied.type, "AccessDeniedException");
      assert.match(denied.text, /ssm:GetSessionRecording/);
      await screenshot(admin, "session-replay");
      await openPage(admin, server, "/sessions?state=History", "Session history");
      await admin.getByRole("link", { name: sessionId }).waitFor();
      await screenshot(admin, "sessions");
    });
  },
);
