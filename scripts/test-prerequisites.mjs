// What the end-to-end tests need beside `npm install`, each checked with the remedy to print when
// it is missing. Used by scripts/run-tests.mjs before any test runs.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const root = new URL("..", import.meta.url).pathname;

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000 });
  return { ok: !r.error && r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim(), error: r.error };
}

/** Descriptions of what is missing (empty: all there). `postgres`: the PostgreSQL engine will run. */
export async function missingPrerequisites({ postgres }) {
  const missing = [];

  const aws = process.env.OPENSSM_TEST_AWS_CLI ?? "/usr/bin/aws";
  const v = run(aws, ["--version"]);
  if (!v.ok) missing.push(`the aws CLI v2 at ${aws} (or OPENSSM_TEST_AWS_CLI): apt-get install awscli (Debian 12 or newer), or AWS's installer`);
  else if (!/aws-cli\/2\./.test(v.out))
    missing.push(`the aws CLI v2: ${aws} is ${v.out.split(" ")[0]}; apt-get install awscli (Debian 12 or newer), or AWS's installer`);

  const python = process.env.OPENSSM_TEST_PYTHON ?? "python3";
  const py = run(python, ["-c", "import boto3"]);
  if (py.error) missing.push(`python3 (${python}, or OPENSSM_TEST_PYTHON) with boto3: apt-get install python3 python3-boto3`);
  else if (!py.ok) missing.push(`boto3 for ${python} (or OPENSSM_TEST_PYTHON): apt-get install python3-boto3`);

  if (postgres) {
    const url = process.env.OPENSSM_TEST_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";
    const problem = await postgresProblem(url);
    if (problem)
      missing.push(
        `PostgreSQL at ${url.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@")} (or OPENSSM_TEST_POSTGRES_URL): ${problem}. ` +
          "apt-get install postgresql, start it (pg_ctlcluster <version> main start), and let this user in " +
          '(su postgres -c "createuser -s $USER && createdb -O $USER test"), or run one engine: --engine sqlite',
      );
  }
  return missing;
}

async function postgresProblem(url) {
  let pg;
  try {
    pg = createRequire(`${root}packages/server/package.json`)("pg");
  } catch {
    return "the pg module is missing (run npm install)";
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query("select 1");
    return undefined;
  } catch (e) {
    return e.message || e.code || String(e);
  } finally {
    await client.end().catch(() => {});
  }
}
