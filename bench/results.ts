import { cpus, totalmem } from "node:os";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { execSync } from "node:child_process";

const FILE = new URL("./RESULTS.md", import.meta.url).pathname;

export function machine(): string {
  const cpu = cpus();
  let kernel = "";
  try {
    kernel = execSync("uname -sr").toString().trim();
  } catch {
    kernel = process.platform;
  }
  return `${cpu.length} × ${cpu[0]?.model ?? "unknown CPU"}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${kernel}, Node ${process.version}`;
}

/** Replaces the section `name` of bench/RESULTS.md (between its markers) with `markdown`. */
export function writeSection(name: string, markdown: string): void {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  let text = existsSync(FILE)
    ? readFileSync(FILE, "utf8")
    : "# Benchmark results\n\nWritten by `npm run bench`; each section is replaced when its benchmark runs again.\n";
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(FILE, text);
}
