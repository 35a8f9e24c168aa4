import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { AddTagsToResourceCommand, CreateActivationCommand } from "@aws-sdk/client-ssm";
import {
  type AgentJobPayload,
  type DecodedAgentMessage,
  decodeAgentMessage,
  encodeJsonMessage,
  type InstanceMessage,
  jsonPayload,
  MessageType,
  type SendReplyPayload,
  signHmac,
} from "@openssm/protocol";
import WebSocket from "ws";
import { type NodeCredentials, NodeIdentity } from "./node-identity.js";
import type { TestServer } from "./server.js";

/** SigV4 headers (host, x-amz-date, x-amz-security-token, authorization) for a request. */
export function signRequest(
  r: { method: string; url: URL; body: string; headers?: Record<string, string> },
  creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  region: string,
  service: string,
): Record<string, string> {
  const req = { method: r.method, url: r.url, body: r.body, headers: { ...(r.headers ?? {}) } };
  signHmac(req, { region, service }, creds);
  return req.headers;
}

export interface Ec2Reply {
  status: number;
  body: any;
  error?: string;
}

/**
 * A managed node reduced to its wire protocols, for Run Command tests: registration with an RSA key
 * (NodeIdentity), ec2messages polling and the MGS control channel, signed with SigV4 as the agent
 * signs. It runs nothing: tests decide what it replies.
 */
export class FakeNode {
  constructor(
    readonly server: TestServer,
    readonly instanceId: string,
    public creds: NodeCredentials,
    readonly region = "us-east-1",
  ) {}

  /** An EC2WindowsMessageDeliveryService call, signed for ec2messages. */
  async ec2messages(operation: string, input: Record<string, unknown>): Promise<Ec2Reply> {
    return this.jsonCall(`EC2WindowsMessageDeliveryService.${operation}`, "ec2messages", input);
  }

  /** An AmazonSSM call signed with the node's credentials, as the agent makes its agent-only calls (ListInstanceAssociations). */
  async ssm(operation: string, input: Record<string, unknown>): Promise<Ec2Reply> {
    return this.jsonCall(`AmazonSSM.${operation}`, "ssm", input);
  }

  private async jsonCall(target: string, service: string, input: Record<string, unknown>): Promise<Ec2Reply> {
    const url = new URL(this.server.endpoint);
    const body = JSON.stringify(input);
    const headers = signRequest(
      { method: "POST", url: new URL("/", url), body, headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": target } },
      this.creds,
      this.region,
      service,
    );
    const res = await fetch(new URL("/", url), { method: "POST", headers, body });
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : {};
    return { status: res.status, body: parsed, error: res.status >= 300 ? String(parsed.__type) : undefined };
  }

  /** One GetMessages long poll (the server holds it until a message comes or its hold time passes). */
  async getMessages(visibility = 10): Promise<InstanceMessage[]> {
    const r = await this.ec2messages("GetMessages", { Destination: this.instanceId, MessagesRequestId: randomUUID(), VisibilityTimeoutInSeconds: visibility });
    if (r.error) throw new Error(`GetMessages failed: ${r.error}: ${r.body.message}`);
    return r.body.Messages;
  }

  /** Polls until a message comes. */
  async nextMessage(timeoutMs = 20_000): Promise<InstanceMessage> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const msgs = await this.getMessages();
      if (msgs.length) return msgs[0];
    }
    throw new Error(`no message for ${this.instanceId} within ${timeoutMs} ms`);
  }

  async acknowledge(messageId: string): Promise<Ec2Reply> {
    return this.ec2messages("AcknowledgeMessage", { MessageId: messageId });
  }

  async sendReply(messageId: string, payload: SendReplyPayload, replyId = randomUUID()): Promise<Ec2Reply> {
    return this.ec2messages("SendReply", { MessageId: messageId, ReplyId: replyId, Payload: JSON.stringify(payload) });
  }

  /** Opens the MGS control channel on the TLS listener, trusting the server's CA. */
  async openControlChannel(): Promise<ControlChannel> {
    const base = new URL(this.server.tlsEndpoint);
    const createUrl = new URL(`/v1/control-channel/${this.instanceId}`, base);
    const body = JSON.stringify({ MessageSchemaVersion: "1.0", RequestId: randomUUID() });
    const headers = signRequest(
      { method: "POST", url: createUrl, body, headers: { "content-type": "application/json" } },
      this.creds,
      this.region,
      "ssmmessages",
    );
    const ca = readFileSync(this.server.caFile);
    const text = await httpsPost(createUrl, headers, body, ca);
    if (text.status !== 201) throw new Error(`CreateControlChannel answered ${text.status}: ${text.body}`);
    const token = /<TokenValue>([^<]+)<\/TokenValue>/.exec(text.body)?.[1];
    if (!token) throw new Error(`CreateControlChannel answered no TokenValue: ${text.body}`);
    const wsUrl = new URL(`/v1/control-channel/${this.instanceId}?role=subscribe&stream=input`, base);
    wsUrl.protocol = "wss:";
    const signed = signRequest({ method: "GET", url: new URL(wsUrl.toString().replace("wss:", "https:")), body: "" }, this.creds, this.region, "ssmmessages");
    const { host: _host, ...wsHeaders } = signed;
    const ws = new WebSocket(wsUrl, { headers: wsHeaders, ca });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("unexpected-response", (_req, res) => reject(new Error(`control channel upgrade answered ${res.statusCode}`)));
      ws.once("error", reject);
    });
    ws.send(JSON.stringify({ MessageSchemaVersion: "1.0", RequestId: randomUUID(), TokenValue: token, AgentVersion: "3.3.0.0", PlatformType: "linux" }));
    return new ControlChannel(ws);
  }
}

async function httpsPost(url: URL, headers: Record<string, string>, body: string, ca: Buffer): Promise<{ status: number; body: string }> {
  const https = await import("node:https");
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: "POST", headers, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

export interface ReceivedJob {
  frame: DecodedAgentMessage;
  job: AgentJobPayload;
}

/** The node's end of a control channel: collects agent_job frames and reply acks. */
export class ControlChannel {
  readonly jobs: ReceivedJob[] = [];
  readonly replyAcks: string[] = [];
  closed = false;
  closeReason = "";
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      if (!isBinary) return;
      const frame = decodeAgentMessage(data as Buffer);
      if (frame.messageType === MessageType.AgentJob) this.jobs.push({ frame, job: jsonPayload<AgentJobPayload>(frame) });
      if (frame.messageType === MessageType.AgentJobReplyAck) this.replyAcks.push(jsonPayload<{ acknowledgedMessageId: string }>(frame).acknowledgedMessageId);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on("close", (_code, reason) => {
      this.closed = true;
      this.closeReason = reason.toString();
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Waits until `check` holds (frames are looked at as they arrive). */
  async until<T>(check: () => T | undefined | false, timeoutMs = 15_000, what = "a frame"): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v) return v;
      if (this.closed) throw new Error(`the control channel closed (${this.closeReason}) while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** The next job whose id is not in `seen`. */
  nextJob(predicate: (j: ReceivedJob) => boolean = () => true, timeoutMs?: number): Promise<ReceivedJob> {
    return this.until(() => this.jobs.find(predicate), timeoutMs, "an agent_job");
  }

  ackJob(received: ReceivedJob, statusCode = "200"): void {
    const body = {
      jobId: received.job.JobId,
      acknowledgedMessageId: received.frame.messageId,
      createdDate: new Date(received.frame.createdDate).toISOString(),
      statusCode,
      errorMessage: statusCode === "200" ? "Successful" : "Refused",
    };
    this.ws.send(encodeJsonMessage(MessageType.AgentJobAck, body));
  }

  /** Sends agent_job_reply and waits for the server's agent_job_reply_ack. */
  async reply(jobId: string, payload: SendReplyPayload, messageId = randomUUID()): Promise<void> {
    const body = { schemaVersion: 1, jobId, content: JSON.stringify(payload), topic: "aws.ssm.sendCommand" };
    this.ws.send(encodeJsonMessage(MessageType.AgentJobReply, body, { messageId }));
    await this.until(() => this.replyAcks.includes(messageId), 15_000, `agent_job_reply_ack for ${messageId}`);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((r) => {
      this.ws.once("close", () => r());
      this.ws.close();
    });
  }
}

/** Registers a node through a fresh activation, tags it, and gets its credentials. */
export async function registerFakeNode(server: TestServer, tags: Record<string, string> = {}): Promise<FakeNode> {
  const ssm = server.ssm();
  const act = await ssm.send(new CreateActivationCommand({ IamRole: "SSMServiceRole", RegistrationLimit: 1 }));
  const identity = new NodeIdentity(server.endpoint);
  const instanceId = await identity.registerOrThrow(String(act.ActivationId), String(act.ActivationCode));
  if (Object.keys(tags).length) {
    await ssm.send(
      new AddTagsToResourceCommand({
        ResourceType: "ManagedInstance",
        ResourceId: instanceId,
        Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
  }
  return new FakeNode(server, instanceId, await identity.credentials());
}

/** A reply payload as the agent sends it, for one step. */
export function replyPayload(
  documentStatus: string,
  steps: Record<string, { status: string; code?: number; stdout?: string; stderr?: string; stdoutOffset?: number; output?: string }> = {},
): SendReplyPayload {
  const now = new Date().toISOString();
  const runtimeStatus: SendReplyPayload["runtimeStatus"] = {};
  for (const [name, s] of Object.entries(steps)) {
    runtimeStatus[name] = {
      status: s.status as SendReplyPayload["documentStatus"],
      code: s.code ?? 0,
      name: "aws:runShellScript",
      output: s.output ?? "",
      startDateTime: now,
      endDateTime: now,
      outputS3BucketName: "",
      outputS3KeyPrefix: "",
      stepName: name,
      standardOutput: s.stdout ?? "",
      standardError: s.stderr ?? "",
      ...(s.stdoutOffset !== undefined ? { standardOutputOffset: s.stdoutOffset } : {}),
    };
  }
  return {
    additionalInfo: { agent: { lang: "en-US", name: "amazon-ssm-agent", os: "", osver: "1", ver: "" }, dateTime: now, runId: "", runtimeStatusCounts: {} },
    documentStatus: documentStatus as SendReplyPayload["documentStatus"],
    documentTraceOutput: "",
    runtimeStatus,
  };
}
