import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import type { Page } from "playwright-core";
import { type ConsoleBrowser, checkAccessibility, chromiumMissing, consoleUrl, openBrowser, openPage, screenshot, signIn } from "../harness/browser.js";
import { type Credentials, startServer, type TestServer, testEngine } from "../harness/index.js";
import { openssm } from "./security-helpers.js";

/**
 * The web console in a real browser (Debian's chromium through playwright-core) against a real server.
 * SQLite only: the console speaks the API and never touches storage. The fleet, Run Command and the
 * terminal are in console-fleet.test.ts and console-terminal.test.ts (each file has its own server).
 */
describe(
  "console: first load, sign-in, Parameter Store, documents, access denied",
  { skip: chromiumMissing() || (testEngine === "postgres" && "the console never touches storage: its browser tests run on SQLite") },
  () => {
    let server: TestServer;
    let browser: ConsoleBrowser;
    let admin: Page;

    before(async () => {
      server = await startServer();
      browser = await openBrowser();
    });
    after(async () => {
      await browser?.close();
      await server?.destroy();
    });

    it("loads the sign-in page quickly from a cold server, with a strict Content-Security-Policy", async () => {
      const page = await browser.newPage();
      const started = Date.now();
      const response = await page.goto(consoleUrl(server));
      await page.getByLabel("Access key ID").waitFor();
      const ms = Date.now() - started;
      // The browser's own clock, from navigation start: the form is index.html's own markup and styles,
      // so the page's first contentful paint is the form on screen; the script marks when it works.
      await page.waitForFunction(
        () => performance.getEntriesByName("openssm:sign-in-ready").length > 0 && performance.getEntriesByName("first-contentful-paint").length > 0,
      );
      const timing = await page.evaluate(() => {
        const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
        const resources = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
        const firstPage = resources.filter((r) => !/\/(app-|chunks\/)/.test(r.name));
        const bytes = nav.transferSize + firstPage.reduce((n, r) => n + r.transferSize, 0);
        return {
          shown: Math.round(performance.getEntriesByName("first-contentful-paint")[0].startTime),
          ready: Math.round(performance.getEntriesByName("openssm:sign-in-ready")[0].startTime),
          response: Math.round(nav.responseEnd),
          domContentLoaded: Math.round(nav.domContentLoadedEventEnd),
          bytes,
          files: firstPage.length + 1,
          names: firstPage.map((r) => new URL(r.name).pathname),
        };
      });
      // On an idle machine the cold first load takes well under 1 s; a machine busy with other work
      // (CI running several test files on 2 cores) gets a limit grown with its measured load.
      const [load] = loadavg();
      const cores = cpus().length;
      const limit = load > cores ? Math.round(1000 * (load / cores)) : 1000;
      process.stdout.write(
        `console first load (cold server): form on screen (first contentful paint) ${timing.shown} ms after navigation by the browser's clock, working (script run) at ${timing.ready} ms (index.html received ${timing.response} ms, DOMContentLoaded ${timing.domContentLoaded} ms; ${ms} ms as the test saw it, with the driver's round trips); ${timing.files} files, ${(timing.bytes / 1024).toFixed(1)} KiB transferred (${timing.names.join(", ")}); limit ${limit} ms${limit > 1000 ? ` (raised from 1000 ms because the 1-minute load average ${load.toFixed(2)} exceeds the ${cores} cores)` : ` (load average ${load.toFixed(2)} on ${cores} cores)`}\n`,
      );
      assert.ok(timing.shown < limit, `the sign-in form was on screen ${timing.shown} ms after navigation; the target is < ${limit} ms`);
      assert.ok(timing.ready < limit, `the sign-in form worked ${timing.ready} ms after navigation; the target is < ${limit} ms`);
      // What the sign-in page costs does not depend on the machine: a few KiB gzipped, no React, no
      // Cloudscape CSS, no SDK, no page chunk before sign-in.
      assert.ok(timing.bytes < 40 * 1024, `the sign-in page transferred ${timing.bytes} bytes`);
      assert.ok(
        timing.names.every((n) => /\/console\/(console-[A-Z2-7]{8}\.js|config\.json)$/.test(n)),
        `the sign-in page loaded only its own script and config: ${timing.names.join(", ")}`,
      );
      const script = timing.names.find((n) => /console-.*\.js$/.test(n)) ?? "";
      const hashed = await fetch(new URL(script, server.endpoint), { headers: { "accept-encoding": "gzip" } });
      assert.equal(hashed.headers.get("cache-control"), "public, max-age=31536000, immutable");
      assert.equal(hashed.headers.get("content-encoding"), "gzip");
      assert.equal(response?.headers()["cache-control"], "no-cache", "index.html is revalidated");
      const csp = response?.headers()["content-security-policy"] ?? "";
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /connect-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-eval/);
      await checkAccessibility(page, "sign-in");
      await screenshot(page, "sign-in");
      // A wrong secret is refused at sign-in, with the server's reason.
      await page.getByLabel("Access key ID").fill(server.admin.accessKeyId);
      await page.getByLabel("Secret access key").fill("x".repeat(40));
      await page.getByRole("button", { name: "Sign in" }).click();
      await page
        .getByText(/SignatureDoesNotMatch|signature/i)
        .first()
        .waitFor();
      await page.close();
    });

    it("signs in with the admin's key; the key stays in sessionStorage only", async () => {
      admin = await signIn(browser, server, server.admin);
      const stored = await admin.evaluate(() => ({ session: Object.keys(sessionStorage), local: Object.keys(localStorage), cookie: document.cookie }));
      assert.deepEqual(stored.local, []);
      assert.equal(stored.cookie, "");
      assert.ok(stored.session.length === 1);
      await checkAccessibility(admin, "home");
      await screenshot(admin, "home");
      // A signed-in tab that reloads goes straight to the console; signing out shows the form again.
      const other = await signIn(browser, server, server.admin);
      await other.reload();
      await other.getByRole("heading", { name: "Systems Manager", level: 1 }).waitFor();
      await other.getByRole("button", { name: /user\/admin/ }).click();
      await other.getByRole("menuitem", { name: "Sign out" }).click();
      await other.getByLabel("Access key ID").waitFor();
      assert.deepEqual(await other.evaluate(() => Object.keys(sessionStorage)), []);
      await other.close();
    });

    it("creates a SecureString, hides it, and reveals it with a decrypting GetParameter", async () => {
      const secret = `s3cret-${Date.now()}`;
      await openPage(admin, server, "/parameters/create", "Create parameter");
      await admin.getByLabel("Name").fill("/console/db/password");
      await admin.getByRole("radio", { name: /SecureString/ }).check();
      await admin.getByLabel("Value").fill(secret);
      await admin.getByRole("button", { name: "Create parameter" }).click();
      await admin.getByRole("heading", { name: "/console/db/password", level: 1 }).waitFor();
      await admin.getByText("SecureString").first().waitFor();
      assert.equal(await admin.getByText(secret).count(), 0, "the value is hidden until Show");
      await admin.getByRole("button", { name: "Show the decrypted value" }).click();
      await admin.getByTestId("parameter-value").filter({ hasText: secret }).waitFor();
      assert.equal((await admin.getByTestId("parameter-value").textContent())?.trim(), secret);
      const stored = await server.ssm().send(new GetParameterCommand({ Name: "/console/db/password", WithDecryption: true }));
      assert.equal(stored.Parameter?.Value, secret);
      await checkAccessibility(admin, "parameter");
      await screenshot(admin, "parameter");
      await openPage(admin, server, "/parameters", "My parameters");
      await admin.getByRole("link", { name: "/console/db/password" }).waitFor();
      await screenshot(admin, "parameters");
    });

    it("shows the documents, owned by Amazon and by me", async () => {
      await openPage(admin, server, "/documents?owner=amazon", "Documents");
      await admin.getByRole("link", { name: "AWS-RunShellScript", exact: true }).waitFor();
      await checkAccessibility(admin, "documents");
      await screenshot(admin, "documents");
      await admin.getByRole("link", { name: "AWS-RunShellScript", exact: true }).click();
      await admin
        .getByTestId("document-content")
        .getByText(/runShellScript/)
        .waitFor();
      await screenshot(admin, "document");
    });

    it("shows the server's validation errors at their line in the document editor", async () => {
      await openPage(admin, server, "/documents/create", "Create document");
      await admin.getByLabel("Name", { exact: true }).fill("console-checked");
      const editor = admin.getByRole("textbox", { name: "Content" });
      // A YAML syntax error (a key twice): the server names line 6, column 5.
      await editor.fill('schemaVersion: "2.2"\ndescription: A broken document\nmainSteps:\n  - action: aws:runShellScript\n    name: hello\n    name: again\n');
      await admin.getByRole("button", { name: "Create document" }).click();
      const marked = admin.getByTestId("editor-error-line");
      await marked.waitFor();
      assert.equal(await marked.count(), 1);
      assert.equal((await marked.textContent())?.trim(), "! 6");
      const listed = admin.getByTestId("editor-errors");
      assert.match((await listed.textContent()) ?? "", /Line 6, column 5: .*not valid YAML/);
      assert.equal(await editor.getAttribute("aria-invalid"), "true");
      // "Go to line" puts the cursor at the line and column the server named.
      await admin.getByRole("button", { name: "Go to line 6" }).click();
      const caret = await editor.evaluate((t: HTMLTextAreaElement) => t.value.slice(0, t.selectionStart).split("\n"));
      assert.deepEqual([caret.length, caret.at(-1)?.length], [6, 4]);
      await screenshot(admin, "document-error-line");
      // A field that is wrong (an action that does not exist): the line of that field.
      await editor.fill('schemaVersion: "2.2"\ndescription: Wrong action\nmainSteps:\n  - name: hello\n    action: aws:runNothing\n    inputs: {}\n');
      await admin.getByRole("button", { name: "Create document" }).click();
      await admin.getByTestId("editor-error-line").filter({ hasText: "! 5" }).waitFor();
      assert.match((await listed.textContent()) ?? "", /Line 5: .*mainSteps\[0\]\.action/);
      await checkAccessibility(admin, "document-error-line");
      // Fixed, the document is created and the marks are gone.
      await editor.fill(
        'schemaVersion: "2.2"\ndescription: Fixed\nmainSteps:\n  - action: aws:runShellScript\n    name: hello\n    inputs:\n      runCommand: [echo hi]\n',
      );
      await admin.getByRole("button", { name: "Create document" }).click();
      await admin.getByRole("heading", { name: "console-checked", level: 1 }).waitFor();
      assert.equal(await admin.getByTestId("editor-error-line").count(), 0);
      // UpdateDocument's errors are shown the same way in the document's own editor.
      await admin.getByRole("button", { name: "Edit (new version)" }).click();
      const draft = admin.getByRole("textbox", { name: "Document content" });
      await draft.fill(
        'schemaVersion: "2.2"\ndescription: Edited\nmainSteps:\n  - action: aws:runShellScript\n    name: hello\n    inputs:\n      runCommand:\n        not: a-list\n',
      );
      await admin.getByRole("button", { name: "Save as new version" }).click();
      await admin.getByTestId("editor-error-line").waitFor();
      assert.match((await admin.getByTestId("editor-errors").textContent()) ?? "", /^Line \d+: .*mainSteps\[0\]\.inputs\.runCommand/);
      assert.equal((await admin.getByTestId("editor-error-line").textContent())?.trim(), "! 7");
      await screenshot(admin, "document-update-error-line");
    });

    it("explains a denied action to a narrowly-permitted IAM user", async () => {
      assert.equal((await openssm(server, ["iam", "create-user", "--user-name", "console-viewer"])).code, 0);
      const policy = {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["ssm:DescribeParameters", "ssm:GetParameter"], Resource: "*" }],
      };
      const file = join(server.dataDir, "console-viewer-policy.json");
      writeFileSync(file, JSON.stringify(policy));
      const put = await openssm(server, [
        "iam",
        "put-user-policy",
        "--user-name",
        "console-viewer",
        "--policy-name",
        "read",
        "--policy-document",
        `file://${file}`,
      ]);
      assert.equal(put.code, 0, put.stderr);
      const key = await openssm(server, [
        "iam",
        "create-access-key",
        "--user-name",
        "console-viewer",
        "--credentials-profile",
        "viewer",
        "--credentials-file",
        "-",
      ]);
      assert.equal(key.code, 0, key.stderr);
      const creds: Credentials = {
        accessKeyId: /aws_access_key_id = (\S+)/.exec(key.stdout)?.[1] ?? "",
        secretAccessKey: /aws_secret_access_key = (\S+)/.exec(key.stdout)?.[1] ?? "",
      };
      const viewer = await signIn(browser, server, creds);
      await openPage(viewer, server, "/parameters", "My parameters");
      await viewer.getByRole("link", { name: "/console/db/password" }).waitFor();
      await openPage(viewer, server, "/parameters/create", "Create parameter");
      await viewer.getByLabel("Name").fill("/console/not-mine");
      await viewer.getByLabel("Value").fill("nope");
      await viewer.getByRole("button", { name: "Create parameter" }).click();
      // The form announces its error in a live region too, so the alert is in the page twice.
      const alert = viewer.getByTestId("access-denied").first();
      await alert.waitFor();
      const text = (await alert.textContent()) ?? "";
      assert.match(text, /Access denied/);
      assert.match(text, /ssm:PutParameter/);
      assert.match(text, /console-viewer/);
      await screenshot(viewer, "access-denied");
      await viewer.close();
    });
  },
);
