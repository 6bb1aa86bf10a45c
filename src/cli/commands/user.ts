// `techtrail user ...` and `techtrail token ...`: manage the service's users and API tokens in the store's
// database. Generated passwords and token secrets are printed once; only hashes are stored.
import type { Command } from "commander";
import { openAuthStore } from "../../auth/auth-store.js";
import { Role } from "../../auth/model.js";
import { TechtrailError } from "../../core/errors.js";
import { openStore } from "../../store/open.js";
import { log, out, printJson, table } from "../output.js";

interface DbOpts {
  db?: string;
  json?: boolean;
}

const DB_HELP = "SQLite file or postgres:// URL (default: TECHTRAIL_DATABASE_URL, TECHTRAIL_DB, ./techtrail.db)";

async function withAuth<T>(o: DbOpts, fn: (auth: Awaited<ReturnType<typeof openAuthStore>>) => Promise<T>): Promise<T> {
  const store = await openStore(o.db ? { db: o.db } : {});
  try {
    return await fn(await openAuthStore(store));
  } finally {
    await store.close();
  }
}

async function readStdinPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const pw = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
  if (!pw) throw new TechtrailError("VALIDATION", "--password-stdin: no password on standard input");
  return pw;
}

function role(v: string): Role {
  const r = Role.safeParse(v);
  if (!r.success) throw new TechtrailError("VALIDATION", `--role must be viewer, responder or admin, got ${v}`);
  return r.data;
}

export function registerUserCommands(program: Command): void {
  const user = program.command("user").description("users of the web service (viewer, responder, admin)");
  user
    .command("add <name>")
    .description("create a user; prints a generated password unless --password-stdin")
    .option("--role <role>", "viewer | responder | admin", "viewer")
    .option("--password-stdin", "read the password from standard input")
    .option("--db <file|url>", DB_HELP)
    .option("--json", "machine-readable output")
    .action(async (name: string, o: DbOpts & { role: string; passwordStdin?: boolean }) => {
      const password = o.passwordStdin ? await readStdinPassword() : undefined;
      await withAuth(o, async (auth) => {
        const input: Parameters<typeof auth.createUser>[0] = { name, role: role(o.role) };
        if (password !== undefined) input.password = password;
        const r = await auth.createUser(input);
        if (o.json) return printJson({ user: r.user, generatedPassword: r.generatedPassword ?? null });
        out(`created ${r.user.role} ${r.user.name}`);
        if (r.generatedPassword) out(`password: ${r.generatedPassword}  (shown only once)`);
      });
    });
  user
    .command("list")
    .description("list users")
    .option("--db <file|url>", DB_HELP)
    .option("--json", "machine-readable output")
    .action(async (o: DbOpts) =>
      withAuth(o, async (auth) => {
        const users = await auth.listUsers();
        if (o.json) return printJson(users);
        out(
          table(
            ["name", "role", "disabled", "created"],
            users.map((u) => [u.name, u.role, u.disabled ? "yes" : "", u.createdAt]),
          ),
        );
      }),
    );
  user
    .command("passwd <name>")
    .description("set a user's password (generated and printed unless --password-stdin); ends their sessions")
    .option("--password-stdin", "read the password from standard input")
    .option("--revoke-tokens", "also revoke every API token of the user (a reset after a suspected compromise)")
    .option("--db <file|url>", DB_HELP)
    .action(async (name: string, o: DbOpts & { passwordStdin?: boolean; revokeTokens?: boolean }) => {
      const { generatePassword } = await import("../../auth/password.js");
      const password = o.passwordStdin ? await readStdinPassword() : generatePassword();
      await withAuth(o, async (auth) => {
        await auth.updateUser(name, { password });
        out(`password of ${name} changed`);
        if (!o.passwordStdin) out(`password: ${password}  (shown only once)`);
        if (o.revokeTokens) out(`revoked ${await auth.revokeUserTokens(name)} API token(s) of ${name}`);
        else {
          const active = (await auth.listTokens(name)).filter((t) => t.revokedAt === null).length;
          if (active > 0)
            log(
              `${name} still has ${active} active API token(s); revoke them with --revoke-tokens or \`techtrail token revoke --all-for ${name}\``,
            );
        }
      });
    });
  user
    .command("role <name> <role>")
    .description("change a user's role")
    .option("--db <file|url>", DB_HELP)
    .action(async (name: string, r: string, o: DbOpts) =>
      withAuth(o, async (auth) => {
        const u = await auth.updateUser(name, { role: role(r) });
        out(`${u.name} is now ${u.role}`);
      }),
    );
  user
    .command("remove <name>")
    .description("delete a user with their sessions and tokens")
    .option("--db <file|url>", DB_HELP)
    .action(async (name: string, o: DbOpts) =>
      withAuth(o, async (auth) => {
        await auth.deleteUser(name);
        out(`removed ${name}`);
      }),
    );

  const token = program.command("token").description("API tokens (Authorization: Bearer tt_...)");
  token
    .command("create")
    .description("create an API token for a user; prints the secret once")
    .requiredOption("--user <name>", "user the token acts as")
    .option("--name <name>", "what the token is for", "api")
    .option("--role <role>", "at most the user's role (default: the user's role)")
    .option("--expires-days <n>", "days until the token stops working")
    .option("--db <file|url>", DB_HELP)
    .option("--json", "machine-readable output")
    .action(async (o: DbOpts & { user: string; name: string; role?: string; expiresDays?: string }) =>
      withAuth(o, async (auth) => {
        const input: Parameters<typeof auth.createToken>[0] = { user: o.user, name: o.name };
        if (o.role !== undefined) input.role = role(o.role);
        if (o.expiresDays !== undefined) {
          if (!/^\d+$/.test(o.expiresDays))
            throw new TechtrailError("VALIDATION", "--expires-days must be a whole number");
          input.expiresInDays = Number(o.expiresDays);
        }
        const r = await auth.createToken(input);
        if (o.json) return printJson({ token: r.token, secret: r.secret });
        out(r.secret);
        log(`token ${r.token.id} (${r.token.name}) for ${r.token.user} as ${r.token.role}; shown only once`);
      }),
    );
  token
    .command("list")
    .description("list API tokens")
    .option("--user <name>", "only this user's tokens")
    .option("--db <file|url>", DB_HELP)
    .option("--json", "machine-readable output")
    .action(async (o: DbOpts & { user?: string }) =>
      withAuth(o, async (auth) => {
        const list = await auth.listTokens(o.user);
        if (o.json) return printJson(list);
        out(
          table(
            ["id", "name", "user", "role", "created", "last used", "revoked"],
            list.map((t) => [t.id, t.name, t.user, t.role, t.createdAt, t.lastUsedAt ?? "", t.revokedAt ?? ""]),
          ),
        );
      }),
    );
  token
    .command("revoke [id]")
    .description("revoke an API token, or with --all-for USER every token of that user")
    .option("--all-for <user>", "revoke every active token of this user")
    .option("--db <file|url>", DB_HELP)
    .action(async (id: string | undefined, o: DbOpts & { allFor?: string }) =>
      withAuth(o, async (auth) => {
        if ((id === undefined) === (o.allFor === undefined))
          throw new TechtrailError("VALIDATION", "give a token ID or --all-for USER (not both)");
        if (o.allFor !== undefined) {
          out(`revoked ${await auth.revokeUserTokens(o.allFor)} API token(s) of ${o.allFor}`);
          return;
        }
        await auth.revokeToken(id as string);
        out(`revoked ${id}`);
      }),
    );
}
