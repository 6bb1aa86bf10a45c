// Admin: users and roles (GET/POST/PATCH/DELETE /api/users). A generated password is shown once.
import { type FormEvent, useState } from "react";
import type { Role } from "../api-types";
import { useAuth } from "../auth";
import { client, ok } from "../client";
import { CopyButton, ErrorBox, Loading, NeedsRole, PageTitle } from "../components/common";
import { useCall } from "../use-api";
import { TokensSection } from "./tokens-section";

const ROLES: Role[] = ["viewer", "responder", "admin"];

export function UsersPage() {
  const auth = useAuth();
  const users = useCall(auth.can("admin") ? client.users.$get : null, {});
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [created, setCreated] = useState<{ name: string; password: string | null } | null>(null);
  const [error, setError] = useState<unknown>(null);

  if (!auth.can("admin"))
    return (
      <section>
        <PageTitle>Users</PageTitle>
        <NeedsRole need="admin" what="Managing users" />
      </section>
    );

  async function run(fn: () => Promise<void>) {
    setError(null);
    try {
      await fn();
      users.reload();
    } catch (e) {
      setError(e);
    }
  }

  function add(e: FormEvent) {
    e.preventDefault();
    void run(async () => {
      const res = await ok(client.users.$post({ json: { name: name.trim(), role } }));
      setCreated({ name: res.user.name, password: res.generatedPassword });
      setName("");
    });
  }

  return (
    <section>
      <PageTitle>Users and API tokens</PageTitle>
      {error ? <ErrorBox error={error} /> : null}
      {created?.password ? (
        <p className="notice">
          Created <strong>{created.name}</strong>. One-time password (shown only now): <code>{created.password}</code>{" "}
          <CopyButton text={created.password} label="Copy password" />
        </p>
      ) : null}
      {users.error ? <ErrorBox error={users.error} /> : null}
      {!users.data ? (
        <Loading />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>User</th>
              <th>Role</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.data.items.map((u) => (
              <tr key={u.name}>
                <td>
                  {u.name} {u.disabled ? <span className="badge">disabled</span> : null}
                </td>
                <td>
                  <select
                    aria-label={`role of ${u.name}`}
                    value={u.role}
                    disabled={u.name === auth.me?.user.name}
                    onChange={(e) =>
                      run(
                        async () =>
                          void (await client.users[":name"].$patch({
                            param: { name: u.name },
                            json: { role: e.target.value as Role },
                          })),
                      )
                    }
                  >
                    {ROLES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                </td>
                <td>
                  {u.name !== auth.me?.user.name ? (
                    <button
                      type="button"
                      className="link danger"
                      onClick={() => {
                        if (window.confirm(`Delete user ${u.name}?`))
                          void run(async () => void (await client.users[":name"].$delete({ param: { name: u.name } })));
                      }}
                    >
                      delete
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="filters" onSubmit={add} aria-label="Add user">
        <label>
          New user
          <input value={name} onChange={(e) => setName(e.target.value)} required name="new-user" />
        </label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <div className="filter-buttons">
          <button type="submit" className="primary">
            Add user
          </button>
        </div>
      </form>
      {users.data ? <TokensSection users={users.data.items} /> : null}
    </section>
  );
}
