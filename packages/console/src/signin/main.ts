// The console's first page: the sign-in form is plain HTML in index.html with its own small stylesheet
// (signin.css, inlined), painted before any script runs; this small script makes it work. React,
// Cloudscape (and its CSS) and the pages are the `app` bundle, preloaded in the background once the
// page has loaded and started after sign-in.
import { type ConsoleCredentials, clearCredentials, loadCredentials, saveCredentials } from "../api/credentials";
import { errorFacts } from "../api/errors";
import { whoAmI } from "../api/sts";

/** The app bundle's hashed file names, set by build.mjs: its entry, stylesheet and the chunks the entry imports. */
declare const __OPENSSM_APP__: { js: string; css: string; chunks: string[] };

interface AppModule {
  /** Renders the signed-in console into `el`. */
  mount(el: HTMLElement, creds: ConsoleCredentials, onSignOut: () => void): void;
}

const here = (file: string) => new URL(file, import.meta.url).href;
let app: Promise<AppModule> | undefined;

/** The app's stylesheet and module, fetched once (a preload after first paint, or at sign-in). */
function loadApp(): Promise<AppModule> {
  app ??= (async () => {
    const css = new Promise<void>((resolve, reject) => {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = here(__OPENSSM_APP__.css);
      link.onload = () => resolve();
      link.onerror = () => reject(new Error(`the console's stylesheet ${__OPENSSM_APP__.css} did not load`));
      document.head.appendChild(link);
    });
    // A computed specifier: the browser fetches the app bundle at run time (esbuild leaves it alone).
    const [mod] = await Promise.all([import(here(__OPENSSM_APP__.js)) as Promise<AppModule>, css]);
    return mod;
  })();
  app.catch(() => {
    app = undefined;
  });
  return app;
}

/** Fetches the app (entry, stylesheet, the chunks it imports) in the background once the browser is idle after load. */
function preload(): void {
  const start = () => {
    const files: [string, string, string | undefined][] = [
      ["modulepreload", __OPENSSM_APP__.js, undefined],
      ["preload", __OPENSSM_APP__.css, "style"],
      ...__OPENSSM_APP__.chunks.map((c): [string, string, undefined] => ["modulepreload", c, undefined]),
    ];
    for (const [rel, file, as] of files) {
      const link = document.createElement("link");
      link.rel = rel;
      link.href = here(file);
      if (as) link.as = as;
      document.head.appendChild(link);
    }
  };
  const idle = (window as { requestIdleCallback?: (cb: () => void, o?: { timeout: number }) => void }).requestIdleCallback;
  if (idle) idle(start, { timeout: 2_000 });
  else setTimeout(start, 200);
}

async function startApp(root: HTMLElement, creds: ConsoleCredentials): Promise<void> {
  const mod = await loadApp();
  root.replaceChildren();
  mod.mount(root, creds, () => {
    clearCredentials();
    // A fresh page: the sign-in form without the app's state or stylesheet.
    window.location.hash = "/";
    window.location.reload();
  });
}

/** An element with properties and children (the form is a few of them: no framework on this page). */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e: HTMLElementTagNameMap[K] = document.createElement(tag);
  Object.assign(e, props);
  e.append(...children);
  return e;
}

const byId = <T extends HTMLElement>(id: string) => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the sign-in page has no #${id}`);
  return e as T;
};

/**
 * Takes over the sign-in form that index.html already shows (it is painted before this script runs):
 * signing in checks the key with STS GetCallerIdentity, which every valid key may call.
 */
function bindSignIn(root: HTMLElement): void {
  const form = byId<HTMLFormElement>("signin-form");
  const key = byId<HTMLInputElement>("signin-key");
  const secret = byId<HTMLInputElement>("signin-secret");
  const token = byId<HTMLInputElement>("signin-token");
  const region = byId<HTMLInputElement>("signin-region");
  const button = byId<HTMLButtonElement>("signin-button");
  const status = byId<HTMLElement>("signin-status");
  const error = byId<HTMLElement>("signin-error");
  const ready = () => {
    button.disabled = !key.value.trim() || !secret.value.trim() || !region.value.trim();
  };
  // What was typed before this script ran counts.
  ready();
  form.addEventListener("input", ready);
  let regionEdited = region.value !== region.defaultValue;
  region.addEventListener("input", () => {
    regionEdited = true;
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    error.hidden = true;
    status.textContent = "Signing in...";
    const creds: ConsoleCredentials = {
      accessKeyId: key.value.trim(),
      secretAccessKey: secret.value.trim(),
      sessionToken: token.value.trim() || undefined,
      region: region.value.trim(),
    };
    try {
      const who = await whoAmI(creds);
      const signedIn = { ...creds, arn: who.arn };
      saveCredentials(signedIn);
      status.textContent = "Loading the console...";
      await startApp(root, signedIn);
    } catch (err) {
      const f = errorFacts(err);
      status.textContent = "";
      error.replaceChildren(el("strong", {}, f.code), el("div", {}, f.message));
      error.hidden = false;
      ready();
    }
  });
  // The form works from here on (the browser tests read this mark beside the first paint).
  performance.mark("openssm:sign-in-ready");
  fetch("config.json")
    .then((r) => (r.ok ? r.json() : undefined))
    .then((c: { region?: string } | undefined) => {
      if (c?.region && !regionEdited) {
        region.value = c.region;
        ready();
      }
    })
    .catch(() => undefined);
  if (document.readyState === "complete") preload();
  else window.addEventListener("load", preload, { once: true });
}

const root = document.getElementById("root");
if (root) {
  const creds = loadCredentials();
  if (creds) {
    // This tab is signed in: the console replaces the form at once.
    root.replaceChildren(el("p", { className: "signin", role: "status" }, "Loading the console..."));
    startApp(root, creds).catch((e) => {
      root.replaceChildren(el("p", { className: "signin-error", role: "alert" }, `The console did not load: ${errorFacts(e).message}. Reload the page.`));
    });
  } else bindSignIn(root);
}
