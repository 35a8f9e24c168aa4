import type { Command } from "commander";

/** The flags of the commands that call the server's API (sessions, command output). */
export interface ApiFlags {
  endpointUrl?: string;
  region?: string;
  profile?: string;
  caFile?: string;
  dataDir?: string;
}

export function withApiOptions(cmd: Command): Command {
  return cmd
    .option(
      "--endpoint-url <url>",
      "the openssm server (default: the server of the data dir's client.json; OPENSSM_ENDPOINT, AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL)",
    )
    .option("--region <region>", "the region (default: AWS_REGION, else client.json's)")
    .option("--profile <name>", "a credentials profile (default: AWS_PROFILE or AWS_ACCESS_KEY_ID..., else client.json's profile in its credentials file)")
    .option("--ca-file <pem>", "CA certificates to trust for the server and its wss:// stream URLs (default: client.json's CA, and AWS_CA_BUNDLE's)")
    .option("--data-dir <dir>", "the server's data directory, whose client.json says all of the above (OPENSSM_DATA_DIR, default ./.openssm)");
}
