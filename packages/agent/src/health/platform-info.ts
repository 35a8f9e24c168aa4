import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { hostname, networkInterfaces, platform, release, version } from "node:os";

export type PlatformType = "Linux" | "MacOS" | "Windows";

/** What the node says about itself in UpdateInstanceInformation. */
export interface PlatformInfo {
  PlatformType: PlatformType;
  PlatformName: string;
  PlatformVersion: string;
  ComputerName: string;
  IPAddress: string;
}

export function platformType(): PlatformType {
  const p = platform();
  return p === "win32" ? "Windows" : p === "darwin" ? "MacOS" : "Linux";
}

function osRelease(): Record<string, string> {
  for (const file of ["/etc/os-release", "/usr/lib/os-release"]) {
    try {
      const out: Record<string, string> = {};
      for (const line of readFileSync(file, "utf8").split("\n")) {
        const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
        if (m) out[m[1]] = m[2].replace(/^["']|["']$/g, "");
      }
      return out;
    } catch {
      // try the next one
    }
  }
  return {};
}

function swVers(flag: string): string | undefined {
  try {
    return execFileSync("sw_vers", [flag], { encoding: "utf8", timeout: 5000 }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The first non-internal IPv4 address (else IPv6, else loopback). */
export function primaryAddress(): string {
  const all = Object.values(networkInterfaces()).flatMap((l) => l ?? []);
  const pick = all.find((a) => !a.internal && a.family === "IPv4") ?? all.find((a) => !a.internal) ?? all[0];
  return pick?.address ?? "127.0.0.1";
}

export function platformInfo(computerName?: string): PlatformInfo {
  const type = platformType();
  let name: string;
  let ver: string;
  if (type === "Linux") {
    const r = osRelease();
    name = r.NAME ?? "Linux";
    ver = r.VERSION_ID ?? release();
  } else if (type === "MacOS") {
    name = swVers("-productName") ?? "macOS";
    ver = swVers("-productVersion") ?? release();
  } else {
    name = version() || "Windows";
    ver = release();
  }
  return { PlatformType: type, PlatformName: name, PlatformVersion: ver, ComputerName: computerName || hostname(), IPAddress: primaryAddress() };
}
