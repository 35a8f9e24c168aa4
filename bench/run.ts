import { benchAgentFootprint } from "./agent-footprint.js";
import { benchAgents } from "./agents.js";
import { benchAutomation } from "./automation.js";
import { benchConsole } from "./console.js";
import { benchFleet } from "./fleet.js";
import { benchParameters } from "./parameters.js";
import { benchReplicas } from "./replicas.js";
import { benchScheduler } from "./scheduler.js";
import { benchState } from "./state.js";

/** `npm run bench [-- parameters|agents ...]`: runs the named benchmarks (all by default) and records them in bench/RESULTS.md. */
const all: Record<string, () => Promise<void>> = {
  parameters: benchParameters,
  agents: async () => {
    await benchAgents({ record: true });
  },
  "agent-footprint": async () => {
    await benchAgentFootprint({ record: true });
  },
  state: async () => {
    await benchState({ record: true });
  },
  scheduler: async () => {
    await benchScheduler({ record: true });
  },
  automation: async () => {
    await benchAutomation({ record: true });
  },
  fleet: async () => {
    await benchFleet({ record: true });
  },
  replicas: async () => {
    await benchReplicas({ record: true });
  },
  console: () => benchConsole({ record: true }),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const names = wanted.length ? wanted : Object.keys(all);
for (const name of names) {
  const fn = all[name];
  if (!fn) {
    process.stderr.write(`unknown benchmark ${name}; known: ${Object.keys(all).join(", ")}\n`);
    process.exit(2);
  }
  await fn();
}
process.exit(0);
