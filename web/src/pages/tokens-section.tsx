// Admin: API tokens (GET/POST/DELETE /api/tokens) for scripts and CI (`Authorization: Bearer tt_...`).
// The secret is shown once, at creation; the server stores only its hash.
import { type FormEvent, useState } from "react";
import type { User } from "../api-types";
import { client, ok } from "../client";
import { Badge, CopyButton, ErrorBox, fmtDate, Loading } from "../components/common";
import { useCall } from "../use-api";

export function TokensSection({ users }: { users: User[] }) {
  const tokens = useCall(client.tokens.$get, { query: {} });
  const [user, setUser] = useState("");
  const [name, setName] = useState("");
  const [days, setDays] = useState("90");
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function run(fn: () => Promise<void>) {
    setError(null);
    try {
      await fn();
      tokens.reload();
    } catch (e) {
      setError(e);
    }
  }

  function create(e: FormEvent) {
    e.preventDefault();
    void run(async () => {
      const res = await ok(
        client.tokens.$post({
          json: {
            user: user || users[0]?.name || "",
            name: name.trim() || "api",
            ...(days ? { expiresInDays: Number(days) } : {}),
          },
        }),
      );
      setSecret({ name: res.token.name, secret: res.secret });
      setName("");
    });
  }

  return (
    <>
      <h2>API tokens</h2>
      {error ? <ErrorBox error={error} /> : null}
      {secret ? (
        <p className="notice" data-testid="token-secret">
          Token <strong>{secret.name}</strong> (shown only now): <code>{secret.secret}</code>{" "}
          <CopyButton text={secret.secret} label="Copy token" />
        </p>
      ) : null}
      {tokens.error ? <ErrorBox error={tokens.error} /> : null}
      {!tokens.data ? (
        tokens.error ? null : (
          <Loading />
        )
      ) : tokens.data.items.length === 0 ? (
        <p className="muted" data-testid="no-tokens">
          No API tokens yet. Scripts and CI jobs sign in with one: create it below for the user whose role it should
          have, copy the secret (it is shown only once) and send it as <code>Authorization: Bearer tt_...</code>.
        </p>
      ) : (
        <table className="table compact" data-testid="token-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>User</th>
              <th>Role</th>
              <th>Created</th>
              <th>Last used</th>
              <th>Expires</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.items.map((t) => (
              <tr key={t.id}>
                <td>{t.name}</td>
                <td>{t.user}</td>
                <td>{t.role}</td>
                <td>{fmtDate(t.createdAt)}</td>
                <td>{fmtDate(t.lastUsedAt)}</td>
                <td>{fmtDate(t.expiresAt)}</td>
                <td>
                  {t.revokedAt ? (
                    <Badge kind="closed">revoked</Badge>
                  ) : (
                    <button
                      type="button"
                      className="link danger"
                      onClick={() => {
                        if (window.confirm(`Revoke token ${t.name} of ${t.user}?`))
                          void run(async () => void (await client.tokens[":id"].$delete({ param: { id: t.id } })));
                      }}
                    >
                      revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="filters" onSubmit={create} aria-label="Create API token">
        <label>
          For user
          <select value={user} onChange={(e) => setUser(e.target.value)} name="token-user">
            {users.map((u) => (
              <option key={u.name} value={u.name}>
                {u.name} ({u.role})
              </option>
            ))}
          </select>
        </label>
        <label>
          Token name
          <input value={name} onChange={(e) => setName(e.target.value)} name="token-name" placeholder="ci-import" />
        </label>
        <label>
          Expires after (days)
          <input
            type="number"
            min={1}
            max={3650}
            value={days}
            onChange={(e) => setDays(e.target.value)}
            name="token-days"
            placeholder="never"
          />
        </label>
        <div className="filter-buttons">
          <button type="submit" className="primary">
            Create token
          </button>
        </div>
      </form>
    </>
  );
}
