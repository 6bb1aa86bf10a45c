// Chooses and opens the incident store: PostgreSQL when a postgres:// URL is configured
// (`--db postgres://...` or TECHTRAIL_DATABASE_URL), else SQLite at `--db FILE`, TECHTRAIL_DB or ./techtrail.db.
import { TechtrailError } from "../core/errors.js";
import { openPostgresStore } from "./postgres.js";
import { openSqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";

export const DEFAULT_DB_FILE = "techtrail.db";

export interface OpenStoreOptions {
  /** SQLite file or postgres:// URL; overrides the environment. */
  db?: string;
  env?: NodeJS.ProcessEnv;
}

const isPgUrl = (s: string) => /^postgres(ql)?:\/\//i.test(s);

/** Where the store lives, from options then environment. */
export function storeTarget(opts: OpenStoreOptions = {}): { kind: "sqlite" | "postgres"; target: string } {
  const env = opts.env ?? process.env;
  if (opts.db) return { kind: isPgUrl(opts.db) ? "postgres" : "sqlite", target: opts.db };
  const url = env.TECHTRAIL_DATABASE_URL;
  if (url) {
    if (!isPgUrl(url))
      throw new TechtrailError("VALIDATION", "TECHTRAIL_DATABASE_URL must be a postgres:// URL", {
        problems: [
          { field: "TECHTRAIL_DATABASE_URL", message: "expected postgres://user:password@host:port/database" },
        ],
      });
    return { kind: "postgres", target: url };
  }
  return { kind: "sqlite", target: env.TECHTRAIL_DB || DEFAULT_DB_FILE };
}

export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  const { kind, target } = storeTarget(opts);
  return kind === "postgres" ? openPostgresStore(target) : openSqliteStore(target);
}
