// Users, roles, sessions and API tokens of the techtrail service: one zod schema per type with its inferred type.
// Roles are ordered: viewer (read) < responder (write incidents, run scans) < admin (users, tokens, catalog import).

import { z } from "zod";
import { passwordProblem } from "./password-policy.js";

export const Role = z.enum(["viewer", "responder", "admin"]);
export type Role = z.infer<typeof Role>;

const RANK: Record<Role, number> = { viewer: 1, responder: 2, admin: 3 };

/** True when `have` includes everything `need` may do. */
export function roleAllows(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

/** The lesser of two roles (a token never has more rights than its user). */
export function minRole(a: Role, b: Role): Role {
  return RANK[a] <= RANK[b] ? a : b;
}

export const Username = z
  .string()
  .trim()
  .min(1, "user name is required")
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, "expected a user name of letters, digits and . _ @ -");

/** A new password: length, no control characters, not on the blocklist (password-policy.ts). */
export const Password = z.string().superRefine((value, ctx) => {
  const problem = passwordProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

export const User = z.object({
  id: z.string(),
  name: z.string(),
  role: Role,
  disabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type User = z.infer<typeof User>;

/** Body of POST /api/users and `techtrail user add`. Without a password one is generated and returned once. */
export const NewUser = z.strictObject({
  name: Username,
  role: Role.default("viewer"),
  password: Password.optional(),
});
export type NewUser = z.infer<typeof NewUser>;
export type NewUserInput = z.input<typeof NewUser>;

/** Body of PATCH /api/users/:name. */
export const UserPatch = z.strictObject({
  role: Role.optional(),
  password: Password.optional(),
  disabled: z.boolean().optional(),
});
export type UserPatch = z.infer<typeof UserPatch>;

/** Body of POST /api/auth/login. */
export const LoginRequest = z.strictObject({
  username: z.string().trim().min(1, "username is required").max(64),
  password: z.string().min(1, "password is required").max(1024),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

/** Body of POST /api/auth/password: change one's own password. */
export const PasswordChange = z.strictObject({
  currentPassword: z.string().min(1).max(1024),
  newPassword: Password,
});
export type PasswordChange = z.infer<typeof PasswordChange>;

export const ApiToken = z.object({
  id: z.string(),
  name: z.string(),
  user: z.string(),
  /** Role of the token; the effective role is the lesser of this and the user's role. */
  role: Role,
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
});
export type ApiToken = z.infer<typeof ApiToken>;

/** Body of POST /api/tokens and `techtrail token create`. */
export const NewToken = z.strictObject({
  user: Username,
  name: z.string().trim().min(1, "token name is required").max(100).default("api"),
  /** Defaults to the user's role. */
  role: Role.optional(),
  /** Days until the token stops working; none = no expiry. */
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});
export type NewToken = z.infer<typeof NewToken>;
export type NewTokenInput = z.input<typeof NewToken>;

/** Who is making a request, after authentication. */
export const Principal = z.object({
  user: User,
  /** Effective role. */
  role: Role,
  via: z.enum(["session", "token"]),
  tokenId: z.string().optional(),
  /** CSRF token of the session (sessions only). */
  csrfToken: z.string().optional(),
});
export type Principal = z.infer<typeof Principal>;
