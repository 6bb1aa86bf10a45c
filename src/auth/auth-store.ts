// Users, browser sessions and API tokens, kept in the incident store's database (SQLite or PostgreSQL) in
// `auth_*` tables with their own versioned migrations (table auth_schema_migrations), so the incident schema
// and the auth schema evolve independently. Secrets are never stored in clear: passwords as scrypt hashes,
// session IDs and API tokens as SHA-256 hashes (they are 256-bit random values).
import { randomBytes } from "node:crypto";
import type { z } from "zod";
import { TechtrailError, zodProblems } from "../core/errors.js";
import type { SqlDb, SqlValue } from "../store/sql.js";
import type { Store } from "../store/store.js";
import {
  ApiToken,
  minRole,
  NewToken,
  type NewTokenInput,
  NewUser,
  type NewUserInput,
  type Principal,
  type Role,
  User,
  UserPatch,
} from "./model.js";
import { generatePassword, hashPassword, randomSecret, sha256, verifyDummy, verifyPassword } from "./password.js";
import { passwordProblemFor } from "./password-policy.js";

const AUTH_MIGRATIONS: Array<{ version: number; name: string; statements: string[] }> = [
  {
    version: 1,
    name: "users, sessions, tokens",
    statements: [
      `CREATE TABLE auth_users (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        name_key TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      `CREATE TABLE auth_sessions (
        id_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      )`,
      `CREATE INDEX auth_sessions_user ON auth_sessions (user_id)`,
      `CREATE TABLE auth_tokens (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        user_id TEXT NOT NULL REFERENCES auth_users (id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT,
        expires_at TEXT
      )`,
      `CREATE INDEX auth_tokens_user ON auth_tokens (user_id)`,
    ],
  },
];
const AUTH_SCHEMA_VERSION = AUTH_MIGRATIONS[AUTH_MIGRATIONS.length - 1]?.version ?? 0;

export const TOKEN_PREFIX = "tt_";
/** Browser sessions last 12 hours unless configured otherwise. */
export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;

const now = () => new Date().toISOString();
const newId = () => randomBytes(9).toString("base64url");

interface UserRow {
  id: string;
  name: string;
  role: string;
  password_hash: string;
  disabled: number | boolean;
  created_at: string;
  updated_at: string;
}
interface TokenRow {
  id: string;
  name: string;
  user_name: string;
  role: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  expires_at: string | null;
}

function toUser(r: UserRow): User {
  return User.parse({
    id: r.id,
    name: r.name,
    role: r.role,
    disabled: Boolean(Number(r.disabled)),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });
}

function toToken(r: TokenRow): ApiToken {
  return ApiToken.parse({
    id: r.id,
    name: r.name,
    user: r.user_name,
    role: r.role,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
    expiresAt: r.expires_at,
  });
}

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new TechtrailError("VALIDATION", `invalid ${what}`, { problems: zodProblems(r.error.issues) });
  return r.data;
}

const USER_COLUMNS = "id, name, role, password_hash, disabled, created_at, updated_at";
const TOKEN_SELECT = `SELECT t.id, t.name, u.name AS user_name, t.role, t.created_at, t.last_used_at, t.revoked_at, t.expires_at
  FROM auth_tokens t JOIN auth_users u ON u.id = t.user_id`;

export interface AuthStoreOptions {
  sessionTtlMs?: number;
}

export class AuthStore {
  private readonly sessionTtlMs: number;
  /** Token ID → last time last_used_at was written, so busy tokens do not write on every request. */
  private readonly lastUseWritten = new Map<string, number>();

  constructor(
    readonly db: SqlDb,
    opts: AuthStoreOptions = {},
  ) {
    this.sessionTtlMs = opts.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  }

  /** Creates or upgrades the auth tables. */
  async migrate(): Promise<void> {
    await this.db.run(
      "CREATE TABLE IF NOT EXISTS auth_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    );
    await this.db.transaction(async (tx) => {
      if (tx.dialect === "postgres") await tx.query("SELECT pg_advisory_xact_lock(7468657473)");
      const rows = await tx.query<{ v: number | null }>("SELECT MAX(version) AS v FROM auth_schema_migrations");
      const current = Number(rows[0]?.v ?? 0);
      if (current > AUTH_SCHEMA_VERSION)
        throw new TechtrailError(
          "UNSUPPORTED",
          `the auth tables have schema version ${current}, newer than this techtrail supports (${AUTH_SCHEMA_VERSION})`,
        );
      for (const m of AUTH_MIGRATIONS) {
        if (m.version <= current) continue;
        for (const s of m.statements) await tx.run(s);
        await tx.run("INSERT INTO auth_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
          m.version,
          m.name,
          now(),
        ]);
      }
    });
  }

  // ---- users ----

  async countUsers(): Promise<number> {
    const rows = await this.db.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM auth_users");
    return Number(rows[0]?.n ?? 0);
  }

  private async userRow(name: string): Promise<UserRow | undefined> {
    const rows = await this.db.query<UserRow & Record<string, unknown>>(
      `SELECT ${USER_COLUMNS} FROM auth_users WHERE name_key = ?`,
      [name.trim().toLowerCase()],
    );
    return rows[0];
  }

  async getUser(name: string): Promise<User | undefined> {
    const r = await this.userRow(name);
    return r ? toUser(r) : undefined;
  }

  async requireUser(name: string): Promise<User> {
    const u = await this.getUser(name);
    if (!u) throw new TechtrailError("NOT_FOUND", `no user ${name}`, { details: { user: name } });
    return u;
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.db.query<UserRow & Record<string, unknown>>(
      `SELECT ${USER_COLUMNS} FROM auth_users ORDER BY name_key`,
    );
    return rows.map(toUser);
  }

  /** Creates a user; returns the generated password when none was given (shown once, never stored in clear). */
  async createUser(input: NewUserInput): Promise<{ user: User; generatedPassword?: string }> {
    const v = parse(NewUser, input, "user");
    if (v.password !== undefined) assertPasswordFor(v.password, v.name);
    const generated = v.password === undefined ? generatePassword() : undefined;
    const hash = await hashPassword(v.password ?? (generated as string));
    const t = now();
    const id = newId();
    try {
      await this.db.run(
        "INSERT INTO auth_users (id, name, name_key, role, password_hash, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
        [id, v.name, v.name.toLowerCase(), v.role, hash, t, t],
      );
    } catch (e) {
      if (/unique|duplicate/i.test((e as Error).message))
        throw new TechtrailError("CONFLICT", `user ${v.name} already exists`, { details: { user: v.name } });
      throw e;
    }
    const user = await this.requireUser(v.name);
    return generated === undefined ? { user } : { user, generatedPassword: generated };
  }

  /** Changes role, password or disabled flag. Refuses to leave the service without an active admin. */
  async updateUser(name: string, patch: unknown): Promise<User> {
    const p = parse(UserPatch, patch, "user change");
    if (p.password !== undefined) {
      const before = await this.userRow(name);
      if (!before) throw new TechtrailError("NOT_FOUND", `no user ${name}`, { details: { user: name } });
      assertPasswordFor(p.password, before.name);
      if (await verifyPassword(p.password, before.password_hash))
        throw new TechtrailError("VALIDATION", "the new password must differ from the current one", {
          problems: [{ field: "password", message: "the new password must differ from the current one" }],
        });
    }
    const hash = p.password !== undefined ? await hashPassword(p.password) : undefined;
    await this.db.transaction(async (tx) => {
      await lockAdmins(tx);
      const rows = await tx.query<UserRow & Record<string, unknown>>(
        `SELECT ${USER_COLUMNS} FROM auth_users WHERE name_key = ?`,
        [name.trim().toLowerCase()],
      );
      const cur = rows[0];
      if (!cur) throw new TechtrailError("NOT_FOUND", `no user ${name}`, { details: { user: name } });
      const losesAdmin =
        cur.role === "admin" &&
        !Number(cur.disabled) &&
        ((p.role !== undefined && p.role !== "admin") || p.disabled === true);
      if (losesAdmin) await this.assertAnotherAdmin(tx, cur.id);
      const sets: string[] = [];
      const params: SqlValue[] = [];
      if (p.role !== undefined) {
        sets.push("role = ?");
        params.push(p.role);
      }
      if (hash !== undefined) {
        sets.push("password_hash = ?");
        params.push(hash);
      }
      if (p.disabled !== undefined) {
        sets.push("disabled = ?");
        params.push(p.disabled ? 1 : 0);
      }
      if (sets.length === 0) return;
      sets.push("updated_at = ?");
      params.push(now(), cur.id);
      await tx.run(`UPDATE auth_users SET ${sets.join(", ")} WHERE id = ?`, params);
      // A new password or a disabled account ends every open browser session of the user.
      if (hash !== undefined || p.disabled === true)
        await tx.run("DELETE FROM auth_sessions WHERE user_id = ?", [cur.id]);
    });
    return this.requireUser(name);
  }

  private async assertAnotherAdmin(tx: SqlDb, exceptId: string): Promise<void> {
    const rows = await tx.query<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM auth_users WHERE role = 'admin' AND disabled = 0 AND id <> ?",
      [exceptId],
    );
    if (Number(rows[0]?.n ?? 0) === 0)
      throw new TechtrailError("CONFLICT", "this is the last active admin; make another user admin first");
  }

  /** Deletes a user with their sessions and tokens. */
  async deleteUser(name: string): Promise<User> {
    return this.db.transaction(async (tx) => {
      await lockAdmins(tx);
      const rows = await tx.query<UserRow & Record<string, unknown>>(
        `SELECT ${USER_COLUMNS} FROM auth_users WHERE name_key = ?`,
        [name.trim().toLowerCase()],
      );
      const cur = rows[0];
      if (!cur) throw new TechtrailError("NOT_FOUND", `no user ${name}`, { details: { user: name } });
      if (cur.role === "admin" && !Number(cur.disabled)) await this.assertAnotherAdmin(tx, cur.id);
      await tx.run("DELETE FROM auth_sessions WHERE user_id = ?", [cur.id]);
      await tx.run("DELETE FROM auth_tokens WHERE user_id = ?", [cur.id]);
      await tx.run("DELETE FROM auth_users WHERE id = ?", [cur.id]);
      return toUser(cur);
    });
  }

  /** Checks a user name and password; undefined when either is wrong or the account is disabled. */
  async checkPassword(name: string, password: string): Promise<User | undefined> {
    const r = await this.userRow(name);
    if (!r) {
      await verifyDummy(password);
      return undefined;
    }
    const ok = await verifyPassword(password, r.password_hash);
    if (!ok || Number(r.disabled)) return undefined;
    return toUser(r);
  }

  // ---- sessions ----

  /**
   * Starts a browser session; the returned `token` goes into the cookie and is stored only as a hash.
   * Signing in ends the user's older sessions (one browser session per user at a time), so a session
   * cookie left on another machine or stolen earlier stops working at the next sign-in.
   */
  async createSession(user: User): Promise<{ token: string; csrfToken: string; expiresAt: string }> {
    const token = randomSecret(32);
    const csrfToken = randomSecret(24);
    const expiresAt = new Date(Date.now() + this.sessionTtlMs).toISOString();
    await this.db.transaction(async (tx) => {
      await tx.run("DELETE FROM auth_sessions WHERE user_id = ?", [user.id]);
      await tx.run(
        "INSERT INTO auth_sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        [sha256(token), user.id, csrfToken, now(), expiresAt],
      );
    });
    return { token, csrfToken, expiresAt };
  }

  /** Revokes every active API token of a user (password reset, offboarding); returns how many. */
  async revokeUserTokens(name: string): Promise<number> {
    const u = await this.userRow(name);
    if (!u) throw new TechtrailError("NOT_FOUND", `no user ${name}`, { details: { user: name } });
    const n = await this.db.run("UPDATE auth_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", [
      now(),
      u.id,
    ]);
    this.lastUseWritten.clear();
    return n;
  }

  /** The principal of a session cookie, or undefined when unknown, expired or the user is disabled. */
  async sessionPrincipal(token: string): Promise<Principal | undefined> {
    const rows = await this.db.query<UserRow & { csrf_token: string; expires_at: string } & Record<string, unknown>>(
      `SELECT u.id, u.name, u.role, u.password_hash, u.disabled, u.created_at, u.updated_at, s.csrf_token, s.expires_at
       FROM auth_sessions s JOIN auth_users u ON u.id = s.user_id WHERE s.id_hash = ?`,
      [sha256(token)],
    );
    const r = rows[0];
    if (!r || Number(r.disabled)) return undefined;
    if (r.expires_at <= now()) {
      await this.db.run("DELETE FROM auth_sessions WHERE id_hash = ?", [sha256(token)]);
      return undefined;
    }
    const user = toUser(r);
    return { user, role: user.role, via: "session", csrfToken: r.csrf_token };
  }

  async deleteSession(token: string): Promise<void> {
    await this.db.run("DELETE FROM auth_sessions WHERE id_hash = ?", [sha256(token)]);
  }

  /** Removes expired sessions; returns how many. */
  async pruneSessions(): Promise<number> {
    return this.db.run("DELETE FROM auth_sessions WHERE expires_at <= ?", [now()]);
  }

  // ---- API tokens ----

  /** Creates an API token for a user; the secret (`tt_...`) is returned once and stored only as a hash. */
  async createToken(input: NewTokenInput): Promise<{ token: ApiToken; secret: string }> {
    const v = parse(NewToken, input, "token");
    const u = await this.userRow(v.user);
    if (!u) throw new TechtrailError("NOT_FOUND", `no user ${v.user}`, { details: { user: v.user } });
    const role: Role = v.role ?? (u.role as Role);
    const id = newId();
    const secret = `${TOKEN_PREFIX}${randomSecret(32)}`;
    const expiresAt =
      v.expiresInDays !== undefined ? new Date(Date.now() + v.expiresInDays * 86_400_000).toISOString() : null;
    await this.db.run(
      "INSERT INTO auth_tokens (id, token_hash, name, user_id, role, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      [id, sha256(secret), v.name, u.id, role, now(), expiresAt],
    );
    return { token: await this.requireToken(id), secret };
  }

  async listTokens(user?: string): Promise<ApiToken[]> {
    const rows = await this.db.query<TokenRow & Record<string, unknown>>(
      user === undefined
        ? `${TOKEN_SELECT} ORDER BY t.created_at, t.id`
        : `${TOKEN_SELECT} WHERE u.name_key = ? ORDER BY t.created_at, t.id`,
      user === undefined ? [] : [user.trim().toLowerCase()],
    );
    return rows.map(toToken);
  }

  async requireToken(id: string): Promise<ApiToken> {
    const rows = await this.db.query<TokenRow & Record<string, unknown>>(`${TOKEN_SELECT} WHERE t.id = ?`, [id]);
    const r = rows[0];
    if (!r) throw new TechtrailError("NOT_FOUND", `no API token ${id}`, { details: { token: id } });
    return toToken(r);
  }

  /** Revokes a token (kept for the record, never accepted again). */
  async revokeToken(id: string): Promise<ApiToken> {
    const cur = await this.requireToken(id);
    if (cur.revokedAt === null) await this.db.run("UPDATE auth_tokens SET revoked_at = ? WHERE id = ?", [now(), id]);
    this.lastUseWritten.delete(id);
    return this.requireToken(id);
  }

  /** The principal of a bearer token, or undefined when unknown, revoked, expired or the user is disabled. */
  async tokenPrincipal(secret: string): Promise<Principal | undefined> {
    if (!secret.startsWith(TOKEN_PREFIX)) return undefined;
    const rows = await this.db.query<
      UserRow & { token_id: string; token_role: string; revoked_at: string | null; expires_at: string | null } & Record<
          string,
          unknown
        >
    >(
      `SELECT u.id, u.name, u.role, u.password_hash, u.disabled, u.created_at, u.updated_at,
              t.id AS token_id, t.role AS token_role, t.revoked_at, t.expires_at
       FROM auth_tokens t JOIN auth_users u ON u.id = t.user_id WHERE t.token_hash = ?`,
      [sha256(secret)],
    );
    const r = rows[0];
    if (!r || Number(r.disabled) || r.revoked_at !== null) return undefined;
    const t = now();
    if (r.expires_at !== null && r.expires_at <= t) return undefined;
    const last = this.lastUseWritten.get(r.token_id) ?? 0;
    if (Date.now() - last > 60_000) {
      this.lastUseWritten.set(r.token_id, Date.now());
      await this.db.run("UPDATE auth_tokens SET last_used_at = ? WHERE id = ?", [t, r.token_id]);
    }
    const user = toUser(r);
    return { user, role: minRole(user.role, r.token_role as Role), via: "token", tokenId: r.token_id };
  }
}

/**
 * "At least one active admin" is checked and kept inside the transaction that changes a user, never by a
 * read before it. SQLite's write transactions (BEGIN IMMEDIATE) already run one at a time. PostgreSQL runs
 * them concurrently at READ COMMITTED, where two admins demoting each other would each still see the other
 * as admin; so every user change first locks the active admins' rows (in id order, so two changes cannot
 * deadlock). The second change then waits for the first to commit, and its next statements see the result.
 */
async function lockAdmins(tx: SqlDb): Promise<void> {
  if (tx.dialect === "postgres")
    await tx.query("SELECT id FROM auth_users WHERE role = 'admin' AND disabled = 0 ORDER BY id FOR UPDATE");
}

function assertPasswordFor(password: string, userName: string): void {
  const problem = passwordProblemFor(password, userName);
  if (problem)
    throw new TechtrailError("VALIDATION", `invalid password: ${problem}`, {
      problems: [{ field: "password", message: problem }],
    });
}

/** The database handle of a store opened by techtrail (both adapters keep it as `db`). */
export function storeDb(store: Store): SqlDb {
  const db = (store as unknown as { db?: SqlDb }).db;
  if (!db || typeof db.query !== "function" || (db.dialect !== "sqlite" && db.dialect !== "postgres"))
    throw new TechtrailError("UNSUPPORTED", "sign-in needs a SQL store (SQLite or PostgreSQL)");
  return db;
}

/** Opens the auth tables in the store's database, creating them when missing. */
export async function openAuthStore(store: Store, opts: AuthStoreOptions = {}): Promise<AuthStore> {
  const auth = new AuthStore(storeDb(store), opts);
  await auth.migrate();
  return auth;
}
