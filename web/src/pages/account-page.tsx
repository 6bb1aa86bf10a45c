// The signed-in user's account: role and a password change (POST /api/auth/password). The admin created on
// first start signs in with a one-time password and should change it here.
import { type FormEvent, useState } from "react";
import { setCsrf } from "../api";
import { useAuth } from "../auth";
import { client, ok } from "../client";
import { ErrorBox, PageTitle } from "../components/common";

export function AccountPage() {
  const auth = useAuth();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    setDone(false);
    if (next !== again) {
      setError(new Error("the two new passwords differ"));
      return;
    }
    try {
      const res = await ok(client.auth.password.$post({ json: { currentPassword: current, newPassword: next } }));
      // The change ended every session; the server handed this browser a fresh one.
      if (res.csrfToken) setCsrf(res.csrfToken);
      setCurrent("");
      setNext("");
      setAgain("");
      setDone(true);
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section>
      <PageTitle>Account</PageTitle>
      <p>
        Signed in as <strong>{auth.me?.user.name}</strong> with the <strong>{auth.me?.role}</strong> role.
      </p>
      <form className="card narrow-form" onSubmit={submit} aria-label="Change password">
        <h2>Change password</h2>
        <label>
          Current password
          <input
            type="password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
            required
          />
        </label>
        <label>
          New password (at least 10 characters)
          <input
            type="password"
            autoComplete="new-password"
            minLength={10}
            value={next}
            onChange={(e) => setNext(e.target.value)}
            required
          />
        </label>
        <label>
          New password again
          <input
            type="password"
            autoComplete="new-password"
            minLength={10}
            value={again}
            onChange={(e) => setAgain(e.target.value)}
            required
          />
        </label>
        {error ? <ErrorBox error={error} /> : null}
        {done ? (
          <p className="notice" role="status">
            Password changed. Other sessions were signed out.
          </p>
        ) : null}
        <button type="submit" className="primary">
          Change password
        </button>
      </form>
    </section>
  );
}
