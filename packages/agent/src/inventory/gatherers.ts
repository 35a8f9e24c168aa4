import { execFile } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { cpus, networkInterfaces, release } from "node:os";
import { join } from "node:path";

/** execFile as a promise (child_process is loaded by the bundle at the first call, not by an idle agent). */
function run(cmd: string, args: string[], options: { maxBuffer?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { ...options, encoding: "utf8" }, (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr })));
  });
}

export type Entry = Record<string, string>;

/** Output of a command, or undefined when the tool is missing or fails. */
async function output(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    return (await run(cmd, args, { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: "C" } })).stdout;
  } catch {
    return undefined;
  }
}

function compact(e: Record<string, string | undefined>): Entry {
  const out: Entry = {};
  for (const [k, v] of Object.entries(e)) if (v !== undefined && v !== "" && v !== "(none)") out[k] = v;
  return out;
}

const isoSeconds = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** AWS:Application from dpkg (Debian, Ubuntu) and rpm (RHEL, Amazon Linux, SUSE), as AWS's gatherer reads them. */
export async function applications(): Promise<Entry[]> {
  const out: Entry[] = [];
  const dpkg = await output("dpkg-query", [
    "-W",
    "-f",
    "${Package}\\t${Version}\\t${Architecture}\\t${Maintainer}\\t${Section}\\t${binary:Summary}\\t${Homepage}\\n",
  ]);
  if (dpkg) {
    for (const line of dpkg.split("\n")) {
      const [name, version, arch, maintainer, section, summary, homepage] = line.split("\t");
      if (!name) continue;
      out.push(
        compact({
          Name: name,
          Version: version,
          Architecture: arch === "amd64" ? "x86_64" : arch,
          Publisher: maintainer,
          ApplicationType: section,
          Summary: summary,
          URL: homepage,
        }),
      );
    }
  }
  const rpm = await output("rpm", [
    "-qa",
    "--queryformat",
    "%{NAME}\\t%{VERSION}\\t%{RELEASE}\\t%{EPOCH}\\t%{ARCH}\\t%{VENDOR}\\t%{INSTALLTIME}\\t%{GROUP}\\t%{SUMMARY}\\t%{URL}\\n",
  ]);
  if (rpm) {
    for (const line of rpm.split("\n")) {
      const [name, version, rel, epoch, arch, vendor, installed, group, summary, url] = line.split("\t");
      if (!name || out.some((e) => e.Name === name && e.Version === version)) continue;
      const t = Number(installed);
      out.push(
        compact({
          Name: name,
          Version: version,
          Release: rel,
          Epoch: epoch,
          Architecture: arch,
          Publisher: vendor,
          InstalledTime: Number.isFinite(t) && t > 0 ? isoSeconds(t * 1000) : undefined,
          ApplicationType: group,
          Summary: summary,
          URL: url,
        }),
      );
    }
  }
  return out.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

function netmask(cidr: string | null): string | undefined {
  const bits = cidr ? Number(cidr.split("/")[1]) : Number.NaN;
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  const m = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 255).join(".");
}

function nameservers(): string | undefined {
  try {
    const list = readFileSync("/etc/resolv.conf", "utf8")
      .split("\n")
      .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
      .filter((x): x is string => Boolean(x));
    return list.length ? list.join(",") : undefined;
  } catch {
    return undefined;
  }
}

async function defaultGateway(): Promise<string | undefined> {
  try {
    for (const line of readFileSync("/proc/net/route", "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[1] === "00000000" && f[2]) {
        const hex = f[2];
        return [6, 4, 2, 0].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)).join(".");
      }
    }
  } catch {
    // not Linux
  }
  return undefined;
}

/** AWS:Network: each interface with its addresses (loopback left out, as AWS does). */
export async function network(): Promise<Entry[]> {
  const gateway = await defaultGateway();
  const dns = nameservers();
  const out: Entry[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (!addrs || addrs.every((a) => a.internal)) continue;
    const v4 = addrs.filter((a) => a.family === "IPv4");
    const v6 = addrs.filter((a) => a.family === "IPv6");
    out.push(
      compact({
        Name: name,
        MacAddress: addrs[0]?.mac,
        IPV4: v4.map((a) => a.address).join(","),
        IPV6: v6.map((a) => a.address).join(","),
        SubnetMask: netmask(v4[0]?.cidr ?? null),
        Gateway: gateway,
        DNSServer: dns,
      }),
    );
  }
  return out;
}

/** AWS:Service on Linux: systemd's service units and their state. */
export async function services(): Promise<Entry[]> {
  const text = await output("systemctl", ["list-units", "--type=service", "--all", "--no-legend", "--no-pager", "--plain"]);
  if (!text) return [];
  const files = await output("systemctl", ["list-unit-files", "--type=service", "--no-legend", "--no-pager", "--plain"]);
  const startType = new Map<string, string>();
  for (const line of (files ?? "").split("\n")) {
    const [unit, state] = line.trim().split(/\s+/);
    if (unit) startType.set(unit, state);
  }
  const out: Entry[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, unit, , active, sub, description] = m;
    out.push(
      compact({
        Name: unit.replace(/\.service$/, ""),
        DisplayName: description,
        Status: `${active} (${sub})`,
        ServiceType: "systemd",
        StartType: startType.get(unit),
      }),
    );
  }
  return out;
}

interface FileSearch {
  Path?: string;
  Pattern?: string[];
  Recursive?: boolean;
  DirScanLimit?: number;
}

function globRegex(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
}

/** AWS:File: files matching the `files` parameter's searches (Path, Pattern, Recursive, DirScanLimit). */
export function files(spec: string): Entry[] {
  if (!spec.trim()) return [];
  const searches = JSON.parse(spec) as FileSearch[];
  if (!Array.isArray(searches)) throw new Error('files must be a JSON list of searches: [{"Path": "/etc", "Pattern": ["*.conf"], "Recursive": false}]');
  const out: Entry[] = [];
  for (const s of searches) {
    if (!s.Path) continue;
    const patterns = (s.Pattern?.length ? s.Pattern : ["*"]).map(globRegex);
    let dirs = 0;
    const limit = s.DirScanLimit ?? 5000;
    const walk = (dir: string): void => {
      if (++dirs > limit || out.length >= 10_000) return;
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        return;
      }
      for (const name of names) {
        const path = join(dir, name);
        let st: ReturnType<typeof statSync>;
        try {
          st = statSync(path);
        } catch {
          continue;
        }
        if (st.isDirectory()) {
          if (s.Recursive) walk(path);
        } else if (patterns.some((p) => p.test(name))) {
          out.push(
            compact({
              Name: name,
              Size: String(st.size),
              InstalledDir: dir,
              ModificationTime: isoSeconds(st.mtimeMs),
              LastAccessTime: isoSeconds(st.atimeMs),
              InstalledDate: isoSeconds(st.birthtimeMs || st.ctimeMs),
            }),
          );
        }
      }
    };
    walk(s.Path);
  }
  return out;
}

/** AWS:InstanceDetailedInformation: processors and kernel. */
export function instanceDetails(): Entry[] {
  const list = cpus();
  let sockets = 1;
  let cores = list.length;
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    const physical = new Set(info.match(/^physical id\s*:\s*\d+/gm) ?? []);
    if (physical.size) sockets = physical.size;
    const perSocket = /^cpu cores\s*:\s*(\d+)/m.exec(info);
    if (perSocket) cores = Number(perSocket[1]) * sockets;
  } catch {
    // not Linux
  }
  return [
    compact({
      CPUModel: list[0]?.model.trim(),
      CPUSpeedMHz: list[0] ? String(list[0].speed) : undefined,
      CPUs: String(list.length),
      CPUSockets: String(sockets),
      CPUCores: String(cores),
      CPUHyperThreadEnabled: String(list.length > cores),
      KernelVersion: release(),
    }),
  ];
}

/** Custom: types from the custom inventory folder: <dir>/<anything>.json holding {SchemaVersion, TypeName, Content}. */
export function customInventory(dir: string | undefined): { typeName: string; schemaVersion: string; content: Entry[] }[] {
  if (!dir) return [];
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  const out: { typeName: string; schemaVersion: string; content: Entry[] }[] = [];
  for (const name of names.sort()) {
    const doc = JSON.parse(readFileSync(join(dir, name), "utf8")) as { TypeName?: string; SchemaVersion?: string; Content?: unknown };
    if (!doc.TypeName?.startsWith("Custom:")) throw new Error(`${name}: TypeName must start with Custom:`);
    const content = Array.isArray(doc.Content) ? doc.Content : doc.Content && typeof doc.Content === "object" ? [doc.Content] : [];
    out.push({
      typeName: doc.TypeName,
      schemaVersion: doc.SchemaVersion ?? "1.0",
      content: content.map((e) => Object.fromEntries(Object.entries(e as Record<string, unknown>).map(([k, v]) => [k, String(v)]))),
    });
  }
  return out;
}
