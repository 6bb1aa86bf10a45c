// One response playbook (GET /api/playbooks/:id): owner, status, review date, the techniques it covers, the
// response phases it is missing, and its text.
import type { Playbook } from "../api-types";
import { client } from "../client";
import { Badge, ErrorBox, fmtDay, Loading, PageTitle } from "../components/common";
import { Markdown } from "../components/markdown";
import { href, Link } from "../router";
import { useTechniqueNames } from "../technique-names";
import { useCall } from "../use-api";

export type { Playbook };

export function PlaybookPage({ id }: { id: string }) {
  const pb = useCall(client.playbooks[":id"].$get, { param: { id } });
  const names = useTechniqueNames();
  if (pb.error) return <ErrorBox error={pb.error} feature="playbooks" />;
  if (!pb.data) return <Loading />;
  const p = pb.data;
  return (
    <section className="playbook">
      <PageTitle>{p.title}</PageTitle>
      <p className="badges">
        <Badge kind={p.status}>{p.status}</Badge> <span className="muted">owner {p.owner}</span>
        <span className="muted">· reviewed {fmtDay(p.last_reviewed)}</span>
        <span className="muted">· {p.id}</span>
      </p>
      {p.missingPhases.length ? <p className="notice">Missing response phases: {p.missingPhases.join(", ")}</p> : null}
      <h2>Covers</h2>
      <ul className="compact" data-testid="playbook-techniques">
        {p.techniques.map((t) => (
          <li key={t}>
            <Link to={href("techniques", t)} className="tid">
              {t}
            </Link>{" "}
            {names.get(t) ?? ""}
          </li>
        ))}
      </ul>
      <div className="card" data-testid="playbook-body">
        <Markdown source={p.body} />
      </div>
    </section>
  );
}
