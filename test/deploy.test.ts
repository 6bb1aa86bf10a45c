// Structural lint of the deployment files (Dockerfile, .dockerignore, compose.yaml): the image builds the
// package the way `npm ci` does, runs unprivileged with a health check, and the compose file runs it with
// PostgreSQL, a volume and health checks. The image is not built here (no Docker in the test environment).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { DEFAULT_PORT } from "../src/server/serve.js";
import { REPO_ROOT } from "./cli-helper.js";

interface Instruction {
  op: string;
  args: string;
  line: number;
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: Instruction | null = null;
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line.startsWith("#") || (line === "" && !pending)) return;
    const body = line.replace(/\\$/, "").trim();
    if (pending) pending.args = `${pending.args} ${body}`.trim();
    else {
      const m = /^([A-Za-z]+)\s+(.*)$/.exec(body);
      assert.ok(m, `Dockerfile line ${i + 1}: not an instruction: ${line}`);
      pending = { op: (m[1] as string).toUpperCase(), args: m[2] as string, line: i + 1 };
    }
    if (!line.endsWith("\\")) {
      out.push(pending as Instruction);
      pending = null;
    }
  });
  assert.equal(pending, null, "the Dockerfile ends inside a continued line");
  return out;
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
  files: string[];
};

test("the Dockerfile builds with npm ci, ships the package files and runs unprivileged with a health check", () => {
  const ins = instructions(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8"));
  const known = new Set([
    "FROM",
    "RUN",
    "COPY",
    "WORKDIR",
    "ENV",
    "USER",
    "VOLUME",
    "EXPOSE",
    "HEALTHCHECK",
    "CMD",
    "ARG",
    "LABEL",
  ]);
  for (const i of ins) assert.ok(known.has(i.op), `line ${i.line}: unknown instruction ${i.op}`);
  const froms = ins.filter((i) => i.op === "FROM");
  assert.equal(froms.length, 2, "a build stage and a runtime stage");
  const major = /(\d+)/.exec(pkg.engines.node)?.[1];
  for (const f of froms) assert.match(f.args, new RegExp(`^node:${major}[.-]`), `line ${f.line}: Node ${major}`);
  assert.match(froms[0]?.args ?? "", / AS build$/i);
  const stage2 = ins.slice(ins.indexOf(froms[1] as Instruction));
  const build = ins.slice(0, ins.indexOf(froms[1] as Instruction));
  assert.ok(
    build.some((i) => i.op === "RUN" && /\bnpm ci\b/.test(i.args) && /npm prune --omit=dev/.test(i.args)),
    "npm ci (which builds through `prepare`), then the dev dependencies pruned",
  );
  // everything package.json publishes, plus node_modules, reaches the runtime stage
  const copied = stage2
    .filter((i) => i.op === "COPY" && i.args.startsWith("--from=build "))
    .flatMap((i) => i.args.replace("--from=build ", "").split(/\s+/).slice(0, -1))
    .map((p) => p.replace(/^\/app\//, ""));
  for (const f of [...pkg.files, "node_modules", "package.json"])
    assert.ok(copied.includes(f), `the runtime stage does not copy ${f}`);
  for (const f of pkg.files.filter((x) => !/^(dist|web\/dist)$/.test(x)))
    assert.ok(existsSync(join(REPO_ROOT, f)), `${f} is copied but missing from the repository`);
  const user = stage2.filter((i) => i.op === "USER").at(-1);
  assert.ok(user && user.args !== "root" && user.args !== "0", "the service runs as an unprivileged user");
  assert.ok(stage2.some((i) => i.op === "EXPOSE" && i.args.split(/\s+/).includes(String(DEFAULT_PORT))));
  const health = stage2.find((i) => i.op === "HEALTHCHECK");
  assert.ok(health && /\/api\/health/.test(health.args) && new RegExp(`:${DEFAULT_PORT}/`).test(health.args));
  const cmd = stage2.filter((i) => i.op === "CMD").at(-1);
  assert.ok(cmd, "a CMD");
  const argv = JSON.parse(cmd.args) as string[];
  assert.deepEqual(argv.slice(0, 3), ["node", "bin/techtrail.js", "serve"]);
  assert.equal(argv[argv.indexOf("--host") + 1], "0.0.0.0", "reachable from outside the container");
  assert.ok(stage2.some((i) => i.op === "VOLUME" && /\/data/.test(i.args)));
  assert.ok(stage2.some((i) => i.op === "ENV" && /TECHTRAIL_DB=\/data\//.test(i.args)));
  const ignore = readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8").split("\n");
  for (const p of ["node_modules", "dist", ".git", "*.db"]) assert.ok(ignore.includes(p), `.dockerignore: ${p}`);
});

test("compose.yaml runs techtrail with PostgreSQL, a volume and health checks", () => {
  const doc = parse(readFileSync(join(REPO_ROOT, "compose.yaml"), "utf8")) as {
    services: Record<string, Record<string, unknown>>;
    volumes: Record<string, unknown>;
  };
  const pgService = doc.services.postgres as {
    image: string;
    environment: Record<string, string>;
    volumes: string[];
    healthcheck: { test: string[] };
  };
  const app = doc.services.techtrail as {
    build: string;
    depends_on: Record<string, { condition: string }>;
    environment: Record<string, string>;
    ports: string[];
    healthcheck: { test: string[] };
  };
  assert.ok(pgService && app, "services postgres and techtrail");
  assert.match(pgService.image, /^postgres:\d+/);
  const volume = pgService.volumes.find((v) => v.endsWith(":/var/lib/postgresql/data"));
  assert.ok(volume, "the database lives on a volume");
  assert.ok((volume.split(":")[0] as string) in doc.volumes, "the volume is declared");
  assert.match(pgService.healthcheck.test.join(" "), /pg_isready/);
  assert.equal(app.build, ".");
  assert.equal(app.depends_on.postgres?.condition, "service_healthy");
  const url = new URL(app.environment.TECHTRAIL_DATABASE_URL?.replace(/\$\{[^}]+\}/g, "secret") ?? "");
  assert.equal(url.protocol, "postgres:");
  assert.equal(url.hostname, "postgres");
  assert.equal(url.pathname, `/${pgService.environment.POSTGRES_DB}`);
  assert.equal(url.username, pgService.environment.POSTGRES_USER);
  assert.match(pgService.environment.POSTGRES_PASSWORD ?? "", /^\$\{POSTGRES_PASSWORD:\?/, "no default password");
  assert.ok(app.ports.some((p) => p.endsWith(`:${DEFAULT_PORT}:${DEFAULT_PORT}`)));
  assert.match(app.healthcheck.test.join(" "), /\/api\/health/);
});
