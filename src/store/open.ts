// Chooses and opens the incident store: PostgreSQL when a postgres:// URL is configured
// (`--db postgres://...` or TECHTRAIL_DATABASE_URL), else SQLite at `--db FILE`, TECHTRAIL_DB or ./techtrail.db.
// The drivers are imported on demand, so a SQLite user never loads `pg` and vice versa.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { isTechtrailError, TechtrailError } from "../core/errors.js";
import type { Store } from "./store.js";

export const DEFAULT_DB_FILE = "techtrail.db";

export interface OpenStoreOptions {
  /** SQLite file or postgres:// URL; overrides the environment. */
  db?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Refuse to create a new register: commands that only read it would otherwise report on an empty database
   * created by mistake (a typo in --db, the wrong working folder). SQLite: the file must exist; PostgreSQL:
   * the database must exist and hold techtrail's tables (a missing database is refused in any case).
   */
  mustExist?: boolean;
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

/** Where the target came from, for messages that say where techtrail looked. */
function targetOrigin(opts: OpenStoreOptions): string {
  const env = opts.env ?? process.env;
  if (opts.db) return "--db";
  if (env.TECHTRAIL_DATABASE_URL) return "TECHTRAIL_DATABASE_URL";
  if (env.TECHTRAIL_DB) return "TECHTRAIL_DB";
  return `the default ./${DEFAULT_DB_FILE} in ${process.cwd()}`;
}

const CREATE_HINT =
  "pass --db, set TECHTRAIL_DB or TECHTRAIL_DATABASE_URL, or create one with `techtrail demo seed`, " +
  "`techtrail incident add|import` or `npm start`";

export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  const { kind, target } = storeTarget(opts);
  if (kind === "postgres") {
    const { openPostgresStore } = await import("./postgres.js");
    try {
      return await openPostgresStore(target, opts.mustExist ? { mustExist: true } : {});
    } catch (e) {
      // say where the URL came from, as for SQLite; an empty database is filled by the commands that create
      if (isTechtrailError(e) && e.code === "NOT_FOUND") {
        const noRegister = (e.details as { reason?: string } | undefined)?.reason === "no-register";
        const hint = noRegister ? `; ${CREATE_HINT}` : "";
        throw new TechtrailError("NOT_FOUND", `${e.message} (from ${targetOrigin(opts)})${hint}`, {
          problems: e.problems,
          details: e.details,
          cause: e,
        });
      }
      throw e;
    }
  }
  if (opts.mustExist && target !== ":memory:" && !existsSync(target)) {
    const file = resolve(target);
    throw new TechtrailError(
      "NOT_FOUND",
      `no incident register at ${file} (from ${targetOrigin(opts)}); ${CREATE_HINT}`,
      {
        problems: [{ source: file, field: "--db", message: "the SQLite file does not exist" }],
      },
    );
  }
  return (await import("./sqlite.js")).openSqliteStore(target);
}
