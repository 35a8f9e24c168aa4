import pg from "pg";
import { randomBytes } from "node:crypto";

/** The PostgreSQL server tests use; each test server gets a database of its own. */
export const POSTGRES_ADMIN_URL = process.env.OPENSSM_TEST_POSTGRES_URL ?? "postgres://root@127.0.0.1:5432/test";

export async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `openssm_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(POSTGRES_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
