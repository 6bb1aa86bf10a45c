// The monitoring-profile choice of the coverage views: the server's built-in profiles, showing the server's
// default (the CLI's) until another is chosen. "" means "the default", so the request names no profile.
import type { client, Ok } from "../client";

type Profiles = Ok<(typeof client)["coverage"]["profiles"]["$get"]>;

export function ProfileSelect(props: { profiles: Profiles | undefined; value: string; onChange: (v: string) => void }) {
  const list = props.profiles;
  if (!list?.items.length) return null;
  return (
    <label className="inline">
      Monitoring profile
      <select
        value={props.value || list.default}
        onChange={(e) => props.onChange(e.target.value === list.default ? "" : e.target.value)}
        name="profile"
      >
        {list.items.map((p) => (
          <option key={p} value={p}>
            {p}
            {p === list.default ? " (default)" : ""}
          </option>
        ))}
      </select>
    </label>
  );
}
