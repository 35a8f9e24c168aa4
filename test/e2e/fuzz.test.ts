import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { kmsModel, type MemberRef, type ServiceModel, type Shape, ssmModel } from "@openssm/model";
import { signHmac } from "@openssm/protocol";
import { capabilities } from "../../packages/server/src/capabilities/index.js";
import { openStorage } from "@openssm/server";
import { eventually, startServer, type TestServer } from "../harness/index.js";
import { rawRequest } from "../harness/raw-http.js";
import { rowCounts, signedCall } from "./security-helpers.js";

/**
 * Invalid input for every implemented SSM and KMS operation, generated from the model: each must be
 * refused with a 4xx naming a validation error (or one of the operation's modelled errors), the
 * server must stay up, and no data may change.
 */
const BUDGET = Number(process.env.OPENSSM_FUZZ_BUDGET ?? 400);
const COMMON = ["ValidationException", "SerializationException"];

interface Case {
  label: string;
  body: string;
  /** The member path the error message should name, for ValidationException / SerializationException. */
  path?: string;
}

/** A small seeded generator, so a failing run can be repeated with OPENSSM_FUZZ_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

function compile(pattern: string): RegExp | null {
  for (const flags of ["su", "s"]) {
    try {
      return new RegExp(`^(?:${pattern})$`, flags);
    } catch {}
  }
  return null;
}

/** A string of an allowed length that the pattern refuses, if one of the candidates is. */
function patternViolation(shape: Shape): string | undefined {
  const re = compile(String(shape.pattern));
  if (!re) return undefined;
  const min = shape.min ?? 0;
  const max = shape.max ?? 10_000;
  const candidates = ["\u0000", " ", "!!!", "a b", "..", "-", "\n\t", "é€", "<script>", "${x}", "*", "/", "a".repeat(Math.max(1, min))];
  for (const base of candidates) {
    let s = base;
    while ([...s].length < min) s += base;
    if ([...s].length > max) continue;
    if (!re.test(s)) return s;
  }
  return undefined;
}

/** Values that break one constraint of a shape (kind "validation") or its JSON type (kind "serialization"). */
function badValues(shape: Shape): { label: string; value: unknown }[] {
  const out: { label: string; value: unknown }[] = [];
  switch (shape.type) {
    case "string":
      out.push({ label: "number for a string", value: 12345 }, { label: "object for a string", value: { a: 1 } });
      if (shape.enum) out.push({ label: "outside the enum", value: "NOT_IN_THE_ENUM_VALUE_SET" });
      if (shape.max !== undefined && shape.max < 500_000) out.push({ label: `longer than ${shape.max}`, value: "a".repeat(shape.max + 1) });
      if (shape.min !== undefined && shape.min > 0) out.push({ label: `shorter than ${shape.min}`, value: "a".repeat(shape.min - 1) });
      if (shape.pattern && !shape.enum) {
        const v = patternViolation(shape);
        if (v !== undefined) out.push({ label: "pattern violation", value: v });
      }
      break;
    case "integer":
    case "long":
    case "double":
    case "float":
      out.push({ label: "string for a number", value: "7" });
      if (shape.min !== undefined) out.push({ label: `below ${shape.min}`, value: shape.min - 1 });
      if (shape.max !== undefined) out.push({ label: `above ${shape.max}`, value: shape.max + 1 });
      break;
    case "boolean":
      out.push({ label: "string for a boolean", value: "yes" });
      break;
    case "timestamp":
      out.push({ label: "boolean for a timestamp", value: true }, { label: "text for a timestamp", value: "not a date" });
      break;
    case "blob":
      out.push({ label: "number for binary", value: 5 }, { label: "invalid base64", value: "%%%" });
      if (shape.max !== undefined && shape.max < 500_000)
        out.push({ label: `blob over ${shape.max} bytes`, value: Buffer.alloc(shape.max + 1, 1).toString("base64") });
      break;
    case "list":
      out.push({ label: "string for a list", value: "not-a-list" }, { label: "object for a list", value: { a: 1 } });
      if (shape.min !== undefined && shape.min > 0) out.push({ label: `list shorter than ${shape.min}`, value: [] });
      break;
    case "map":
      out.push({ label: "list for a map", value: ["a"] });
      break;
    case "structure":
      out.push({ label: "string for a structure", value: "not-an-object" }, { label: "list for a structure", value: [1] });
      if (shape.required?.length) out.push({ label: "nested structure without its required members", value: {} });
      break;
  }
  return out;
}

/** Every mutation of one member, at top level and one level down (inside a structure or a list of structures). */
function memberCases(model: ServiceModel, members: Record<string, MemberRef>, prefix: string, wrap: (v: unknown) => unknown, depth: number): Case[] {
  const cases: Case[] = [];
  for (const [name, ref] of Object.entries(members)) {
    const shape = model.shapes[ref.shape];
    if (!shape) continue;
    const path = `${prefix}${lowerFirst(name)}`;
    for (const bad of badValues(shape)) cases.push({ label: `${path}: ${bad.label}`, body: JSON.stringify(wrap({ [name]: bad.value })), path });
    if (depth > 0 && shape.type === "structure" && shape.members) {
      cases.push(...memberCases(model, shape.members, `${path}.`, (v) => wrap({ [name]: v }), depth - 1));
    }
    const item = shape.type === "list" && shape.member ? model.shapes[shape.member.shape] : undefined;
    if (depth > 0 && item?.type === "structure" && item.members) {
      cases.push({ label: `${path}: string inside a list of structures`, body: JSON.stringify(wrap({ [name]: ["x"] })), path: `${path}.1.member` });
      cases.push(...memberCases(model, item.members, `${path}.1.member.`, (v) => wrap({ [name]: [v] }), depth - 1));
    }
  }
  return cases;
}

function casesFor(model: ServiceModel, operation: string, random: () => number, perOp: number): Case[] {
  const input = model.shapes[model.operations[operation].input ?? ""];
  const required = input?.required ?? [];
  const bodies: Case[] = [
    { label: "invalid JSON", body: '{"Name": "x",' },
    { label: "a JSON list as the body", body: "[1, 2]" },
    { label: "a JSON string as the body", body: '"AmazonSSM"' },
    { label: "20000 nested lists", body: `${"[".repeat(20_000)}${"]".repeat(20_000)}` },
  ];
  const fixed: Case[] = [bodies[Math.floor(random() * bodies.length)]];
  if (required.length) {
    const missing = [
      { label: "missing required members", body: "{}" },
      { label: "null as the body", body: "null" },
      { label: "only unknown nested members", body: JSON.stringify({ Unknown: { Deeper: [{ Deepest: { x: 1 } }] } }) },
    ];
    fixed.push({ ...missing[Math.floor(random() * missing.length)], path: lowerFirst(required[0]) });
  }
  const pool = input?.members ? memberCases(model, input.members, "", (v) => v, 1) : [];
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return [...fixed, ...pool.slice(0, Math.max(0, perOp - fixed.length))];
}

describe("fuzzing every implemented operation with invalid input from the model", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
    // Something to lose, so that a call wrongly accepted would show in the row counts.
    await server.ssm().send(new PutParameterCommand({ Name: "/fuzz/keep", Value: "kept", Type: "SecureString" }));
    await server.kms().send(new CreateKeyCommand({ Description: "fuzz" }));
  });
  after(async () => server?.destroy());

  it("answers 4xx validation errors, stays up and changes nothing", async (t) => {
    const seed = Number(process.env.OPENSSM_FUZZ_SEED ?? randomInt(1, 2 ** 31));
    t.diagnostic(`seed ${seed} (repeat with OPENSSM_FUZZ_SEED=${seed})`);
    const random = prng(seed);
    const models = { ssm: { model: ssmModel, prefix: "AmazonSSM" }, kms: { model: kmsModel, prefix: "TrentService" } };
    const ops = capabilities
      .flatMap((c) => c.operations ?? [])
      .filter((o): o is typeof o & { service: "ssm" | "kms" } => o.service === "ssm" || o.service === "kms")
      .filter((o) => Object.hasOwn(models[o.service].model.operations, o.name));
    assert.ok(ops.length > 0);
    const perOp = Math.max(3, Math.floor(BUDGET / ops.length));
    const before = await rowCounts(server.databaseUrl);

    const problems: string[] = [];
    let sent = 0;
    for (const o of ops) {
      const { model, prefix } = models[o.service];
      const allowed = new Set([...COMMON, ...model.operations[o.name].errors]);
      for (const c of casesFor(model, o.name, random, perOp)) {
        const r = await signedCall(server, `${prefix}.${o.name}`, c.body);
        sent++;
        const where = `${o.service}:${o.name} with ${c.label}: ${r.status} ${r.text.slice(0, 300)}`;
        if (r.status < 400 || r.status >= 500) problems.push(`not a 4xx: ${where}`);
        else if (!allowed.has(r.type)) problems.push(`unexpected error ${r.type}: ${where}`);
        else if (c.path && COMMON.includes(r.type) && !String(r.body.message ?? "").includes(`'${c.path}`)) {
          problems.push(`the message does not name '${c.path}': ${where}`);
        }
      }
      const health = await fetch(`${server.endpoint}/health`);
      assert.equal(health.status, 200, `the server stopped answering after ${o.name}`);
    }
    t.diagnostic(`${sent} invalid requests over ${ops.length} operations`);
    assert.deepEqual(problems, []);
    // Every refused call is audited too; once the audit writer has caught up, the server must still be up.
    const storage = openStorage(server.databaseUrl);
    try {
      await eventually(
        async () => {
          const r = await storage.db
            .selectFrom("audit_log")
            .select((eb) => eb.fn.countAll().as("n"))
            .where("request_id", "!=", "")
            .executeTakeFirstOrThrow();
          return Number(r.n) >= sent;
        },
        { what: "the audit trail to record every refused call" },
      );
    } finally {
      await storage.close();
    }
    assert.equal((await fetch(`${server.endpoint}/health`)).status, 200);
    assert.equal(server.process.exitCode, null);
    assert.deepEqual(await rowCounts(server.databaseUrl), before);
  });
});

/**
 * The HTTP routes beside the JSON API (every route the server registers with Fastify: health, liveness,
 * readiness and metrics, the
 * test clock, the agents' CreateControlChannel / CreateDataChannel, the command-output download),
 * plus paths nothing serves: any method, bad paths and percent-encodings, bad bodies and encodings,
 * with no, broken and valid signatures for several services. None may answer 5xx or end the server.
 */
const ROUTES: [method: string, path: string][] = [
  ["GET", "/health"],
  ["GET", "/health/live"],
  ["GET", "/health/ready"],
  ["GET", "/metrics"],
  ["POST", "/_openssm/clock"],
  ["POST", "/v1/control-channel/{id}"],
  ["POST", "/v1/data-channel/{id}"],
  ["GET", "/v1/command-output/{id}/{id}/{id}/stdout"],
  ["GET", "/v1/command-output/{id}/mi-0123456789abcdef0/aws:runShellScript/{id}"],
  ["GET", "/{id}"],
  ["POST", "/v1/{id}"],
  ["GET", "/console/{id}"],
  ["GET", "/v1/session-recording/{id}"],
];
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];
const IDS = [
  "x",
  "%ff",
  "%E0%A4%A",
  "%",
  "%00",
  "%u0041",
  "mi-0123456789abcdef0",
  "a".repeat(5000),
  "..%2f..%2fetc%2fpasswd",
  "%2e%2e",
  "%C3%BC%F0%9F%98%80",
  "'%3B%20DROP%20TABLE%20x%3B--",
  "aws%3ArunShellScript",
  "00000000-0000-0000-0000-000000000000",
];
const BODIES: (string | Buffer)[] = [
  "",
  "{",
  "null",
  "[]",
  '"x"',
  '{"advanceSeconds": "soon"}',
  '{"advanceSeconds": 1e400}',
  '{"MessageSchemaVersion": 1}',
  '{"MessageSchemaVersion":"1.0","RequestId":"short"}',
  '{"MessageSchemaVersion":"1.0","RequestId":"00000000-0000-0000-0000-000000000000","ClientId":"c"}',
  Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]),
  `{"a":${"[".repeat(5000)}${"]".repeat(5000)}}`,
];
const CONTENT_TYPES = [
  undefined,
  "application/json",
  "application/x-amz-json-1.1",
  "text/plain; charset=utf-16",
  "multipart/form-data; boundary=x",
  "application/x-www-form-urlencoded",
];
const SIGNING = ["none", "garbage", "ssm", "ssmmessages", "s3"] as const;

function httpCase(server: TestServer, random: () => number): { label: string; request: Buffer } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  const [own, template] = pick(ROUTES);
  const method = random() < 0.7 ? own : pick(METHODS);
  const path = template.replace(/\{id\}/g, () => pick(IDS));
  const query = random() < 0.2 ? `?${pick(["role=subscribe&stream=input", "a=%ff", "=", "&&&", "x=1&x=2"])}` : "";
  const body = method === "GET" || method === "HEAD" ? "" : pick(BODIES);
  const type = pick(CONTENT_TYPES);
  const signing = pick(SIGNING);
  const headers: Record<string, string> = {};
  if (type) headers["content-type"] = type;
  if (random() < 0.1) headers["content-encoding"] = "gzip";
  if (signing === "garbage")
    headers.authorization = pick([
      "AWS4-HMAC-SHA256 Credential=x",
      "Bearer abc",
      "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/ssm/aws4_request, SignedHeaders=host, Signature=zz",
    ]);
  else if (signing !== "none") {
    const req = { method, url: new URL(`${path}${query}`, server.endpoint), headers: { ...headers }, body };
    signHmac(req, { region: server.region, service: signing }, server.admin);
    Object.assign(headers, req.headers);
  }
  headers.host ??= new URL(server.endpoint).host;
  const head = [
    `${method} ${path}${query} HTTP/1.1`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    `content-length: ${Buffer.byteLength(body)}`,
    "connection: close",
  ];
  const label = `${method} ${path.slice(0, 120)}${query} (${type ?? "no content-type"}, signed: ${signing}, body ${Buffer.byteLength(body)} bytes)`;
  return { label, request: Buffer.concat([Buffer.from(`${head.join("\r\n")}\r\n\r\n`, "latin1"), Buffer.isBuffer(body) ? body : Buffer.from(body)]) };
}

/** POSTs `body`; the answer's status, or 0 when the connection closed before any answer arrived. */
function postOversized(url: string, body: Buffer): Promise<number> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (status: number) => {
      if (!settled) {
        settled = true;
        resolve(status);
      }
    };
    const req = httpRequest(url, { method: "POST", headers: { "content-length": body.length } }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on("error", () => setTimeout(() => done(0), 200));
    req.end(body);
  });
}

describe("fuzzing the HTTP routes beside the JSON API", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ testClock: true });
  });
  after(async () => server?.destroy());

  it("answers no 5xx and stays up", async (t) => {
    const seed = Number(process.env.OPENSSM_FUZZ_SEED ?? randomInt(1, 2 ** 31));
    t.diagnostic(`seed ${seed} (repeat with OPENSSM_FUZZ_SEED=${seed})`);
    const random = prng(seed);
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    const total = Math.max(200, Math.floor(BUDGET / 2));
    for (let i = 0; i < total; i++) {
      const c = httpCase(server, random);
      const answer = await rawRequest(server, c.request, { tls: i % 4 === 3 });
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answer.status >= 500) problems.push(`${answer.status} for ${c.label}: ${answer.text.slice(0, 300)}`);
      if (server.process.exitCode !== null) assert.fail(`the server exited after ${c.label}:\n${server.output().slice(-3000)}`);
    }
    // One body over the limit, on each route that takes a body.
    // The server may answer 413 and close before the client has written the whole body; the client
    // then sees EPIPE or a reset instead of the answer (status 0 below), which is a refusal too.
    for (const path of ["/_openssm/clock", "/v1/control-channel/x", "/v1/data-channel/x"]) {
      const status = await postOversized(`${server.endpoint}${path}`, Buffer.alloc(3 * 1024 * 1024, 0x7b));
      if (status !== 413 && status !== 0) problems.push(`${status} for a 3 MB body to ${path}`);
    }
    t.diagnostic(`statuses: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(", ")}`);
    assert.deepEqual(problems, []);
    assert.equal((await fetch(`${server.endpoint}/health`)).status, 200);
    assert.equal(server.process.exitCode, null);
    await server.ssm().send(new PutParameterCommand({ Name: "/fuzz/after-http", Value: "still here", Type: "String" }));
  });
});
