import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { repoRoot } from "./paths.js";
import type { Credentials, TestServer } from "./server.js";

/** Debian's chromium, which the console's browser tests drive (.ci/run installs it with apt). */
export const CHROMIUM = process.env.OPENSSM_CHROMIUM ?? "/usr/bin/chromium";

/** Where screenshots go (gitignored): test-artifacts/console/. */
export const ARTIFACTS = join(repoRoot, "test-artifacts", "console");

/** A reason to skip the browser tests (no chromium), or false when they can run. */
export function chromiumMissing(): string | false {
  return existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (apt-get install chromium, or set OPENSSM_CHROMIUM)`;
}

/** Builds the console when packages/console/dist is missing (npm install's prepare script normally has). */
export function ensureConsoleBuilt(): void {
  if (existsSync(join(repoRoot, "packages/console/dist/index.html"))) return;
  const r = spawnSync(process.execPath, [join(repoRoot, "packages/console/build.mjs")], { cwd: repoRoot, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`the console build failed: ${r.stderr || r.stdout}`);
}

export interface ConsoleBrowser {
  context: BrowserContext;
  /** A new tab: its own sessionStorage, so its own sign-in. */
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Chromium, headless, in a fresh user-data-dir, with what a page logs to its console kept for failures. */
export async function openBrowser(): Promise<ConsoleBrowser> {
  ensureConsoleBuilt();
  const profile = mkdtempSync(join(tmpdir(), "openssm-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
    viewport: { width: 1400, height: 900 },
  });
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      page.setDefaultTimeout(30_000);
      page.on("pageerror", (e) => process.stderr.write(`[browser] page error: ${e.message}\n`));
      page.on("console", (m) => {
        if (m.type() === "error") process.stderr.write(`[browser] ${m.text()}\n`);
      });
      return page;
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The console's URL on a test server (a page under the hash router: "/parameters"). */
export const consoleUrl = (server: TestServer, page = "/") => `${server.endpoint}/console/#${page}`;

/** Opens the console in a new tab and signs in with `creds`; resolves on the console's home page. */
export async function signIn(browser: ConsoleBrowser, server: TestServer, creds: Credentials, region = server.region): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(consoleUrl(server));
  await page.getByLabel("Access key ID").fill(creds.accessKeyId);
  await page.getByLabel("Secret access key").fill(creds.secretAccessKey);
  await page.getByLabel("Region").fill(region);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Systems Manager", level: 1 }).waitFor();
  return page;
}

/** Goes to a console page and waits for its heading. */
export async function openPage(page: Page, server: TestServer, path: string, heading: string | RegExp): Promise<void> {
  await page.goto(consoleUrl(server, path));
  await page.getByRole("heading", { name: heading }).first().waitFor();
}

/** Saves a full-page screenshot as test-artifacts/console/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  nodes: number;
  /** Selectors of the first few elements. */
  targets: string[];
}

/** axe-core on the page as it is now: the serious and critical violations (the tests want none). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  const r = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return r.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length, targets: v.nodes.slice(0, 3).map((n) => String(n.target)) }));
}

/** Fails (with what axe found) when the page as it is now has serious or critical accessibility violations. */
export async function checkAccessibility(page: Page, name: string): Promise<void> {
  const found = await seriousViolations(page);
  if (found.length) {
    await screenshot(page, `axe-${name}`);
    throw new Error(`axe on ${name}: ${found.map((v) => `${v.impact} ${v.id} (${v.nodes} elements: ${v.targets.join(", ")}): ${v.help}`).join("; ")}`);
  }
}
