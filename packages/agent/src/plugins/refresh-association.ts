import type { Plugin } from "./plugin.js";

function idsOf(inputs: unknown): string[] {
  const raw = inputs && typeof inputs === "object" ? (inputs as Record<string, unknown>).associationIds : undefined;
  const list = Array.isArray(raw) ? raw : typeof raw === "string" && raw ? raw.split(",") : [];
  return list.map((x) => String(x).trim()).filter(Boolean);
}

/** aws:refreshAssociation: the server (or AWS-RefreshAssociation) asks the agent to apply its associations now. */
export const refreshAssociation: Plugin = {
  name: "aws:refreshAssociation",
  supported: () => true,
  async run(ctx) {
    const ids = idsOf(ctx.step.inputs);
    if (!ctx.hooks.refreshAssociations) return { status: "Failed", code: 1, error: "this agent runs no State Manager associations" };
    ctx.hooks.refreshAssociations(ids);
    ctx.stdout.feed(
      ids.length ? `Associations ${ids.join(", ")} have been requested to execute immediately` : "All associations have been requested to execute immediately",
    );
    return { status: "Success", code: 0 };
  },
};
