import type { ResultStatus } from "@openssm/protocol";
import type { CommandRecord, StepRecord } from "../commands/command-record.js";
import type { DocumentStep } from "../documents/document-steps.js";
import type { OutputStream } from "../exec/output-stream.js";
import type { PlatformType } from "../health/platform-info.js";

/** What the agent offers plugins beyond running processes (State Manager, Inventory). */
export interface AgentHooks {
  /** aws:refreshAssociation: look at the node's associations now and apply those waiting (all when `ids` is empty). */
  refreshAssociations?(ids: string[]): void;
  /** Where aws:softwareInventory keeps what it last sent (content hashes); none: in memory. */
  inventoryDir?: string;
  /** Where custom inventory files are read from (<dir>/*.json). */
  customInventoryDir?: string;
}

/** What a plugin gets to run one step. */
export interface StepContext {
  /** The managed node's id. */
  instanceId: string;
  hooks: AgentHooks;
  step: DocumentStep;
  record: CommandRecord;
  state: StepRecord;
  stdout: OutputStream;
  stderr: OutputStream;
  /** <data-dir>/orchestration/<commandId>/<stepId> */
  orchestrationDir: string;
  /** Variables the step's processes see besides the agent's own environment. */
  env: Record<string, string>;
  platformType: PlatformType;
  /** The agent may run trivial commands (`echo ...`) without a shell (the fleet simulator). */
  inlineExecution: boolean;
  /** How often running output is sent to the server. */
  outputIntervalMs: number;
  isCancelled(): boolean;
  /** Calls `fn` when the command is cancelled; returns a function that unregisters it. */
  onCancel(fn: () => void): () => void;
  /** Saves the command record (process refs, stream progress). */
  persist(): void;
  /** Sends what the step printed since the last time (InProgress reply with pieces). */
  flushOutput(): Promise<void>;
  /** AmazonSSM calls with the node's credentials (GetDocument, GetParameters). */
  ssm<T>(operation: string, input: unknown): Promise<T>;
  /** Runs another document's steps inside this one (aws:runDocument); outputs go to this step's streams. */
  runNested(content: Record<string, unknown>, parameters: Record<string, unknown>, depth: number): Promise<{ status: ResultStatus; code: number }>;
  /** Nesting depth of aws:runDocument (0 for a command's own steps). */
  depth: number;
}

export interface PluginResult {
  status: ResultStatus;
  code: number;
  /** The plugin's error, shown as its output (a plugin that could not run). */
  error?: string;
}

export interface Plugin {
  readonly name: string;
  /** Whether the plugin runs on this platform. */
  supported(platform: PlatformType): boolean;
  run(ctx: StepContext): Promise<PluginResult>;
  /** Continues a step whose process outlived an agent restart; undefined when it cannot. */
  resume?(ctx: StepContext): Promise<PluginResult> | undefined;
}
