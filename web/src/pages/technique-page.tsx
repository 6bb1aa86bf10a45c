// A technique: description, tactics, the CloudTrail events that reveal it, data sources, detection notes,
// mitigations, sub-techniques, the built-in detection rules tagged with it, the playbooks that cover it and
// the incidents that used it.
import { isMissingEndpoint } from "../api";
import { Badge, DemoBadge, ErrorBox, fmtDay, Loading, NotAvailable, PageTitle } from "../components/common";
import { href, hrefQuery, Link } from "../router";
import type { IncidentPage, TechniqueDetail } from "../types";
import { useApi } from "../use-api";

interface RuleRow {
  id: string;
  title: string;
  level?: string;
  file?: string;
  techniques?: string[];
}
interface PlaybookRow {
  id: string;
  title: string;
  status?: string;
  owner?: string;
  lastReviewed?: string | null;
  techniques?: string[];
}

export function TechniquePage({ id }: { id: string }) {
  const enc = encodeURIComponent(id);
  const t = useApi<TechniqueDetail>(`/api/catalog/techniques/${enc}`);
  const incidents = useApi<IncidentPage>("/api/incidents", { technique: id, limit: 20, sort: "date", order: "desc" });
  const rules = useApi<{ items: RuleRow[] }>("/api/rules", { technique: id });
  const playbooks = useApi<{ items: PlaybookRow[] }>("/api/playbooks", { technique: id });

  if (t.error) return <ErrorBox error={t.error} />;
  if (!t.data) return <Loading />;
  const d = t.data;

  return (
    <section className="technique">
      <PageTitle>
        <span className="tid">{d.id}</span> {d.name}{" "}
        {d.status !== "active" ? <Badge kind="warn">{d.status}</Badge> : null}
      </PageTitle>
      {d.replacement ? (
        <p className="notice">
          Replaced by{" "}
          <Link to={href("techniques", d.replacement.id)}>
            {d.replacement.id} {d.replacement.name}
          </Link>
        </p>
      ) : null}
      <p className="muted">
        {d.tacticNames.map((ta) => ta.name).join(" · ")}
        {d.parent ? (
          <>
            {" "}
            · sub-technique of <Link to={href("techniques", d.parent)}>{`${d.parent} ${d.parentName ?? ""}`}</Link>
          </>
        ) : null}
        {d.services.length ? ` · services: ${d.services.join(", ")}` : ""}
      </p>
      <p className="prewrap description">{d.description}</p>
      {d.aliases.length ? (
        <p>
          <strong>Also called: </strong>
          {d.aliases.join("; ")}
        </p>
      ) : null}

      <div className="grid-2">
        <div>
          <h2>CloudTrail events</h2>
          {d.events.length ? (
            <ul className="events">
              {d.events.map((e) => (
                <li key={e}>
                  <code>{e}</code>
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No event listed.</p>
          )}
          <h2>Data sources</h2>
          <p>{d.dataSources.join(", ") || "—"}</p>
          {d.detection ? (
            <>
              <h2>Detection</h2>
              <p className="prewrap">{d.detection}</p>
            </>
          ) : null}
        </div>
        <div>
          <h2>Mitigations</h2>
          {d.mitigationNames.length ? (
            <ul>
              {d.mitigationNames.map((m) => (
                <li key={m.id}>
                  <strong>
                    {m.id} {m.name}
                  </strong>
                  : {m.how}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">None in the catalog.</p>
          )}
          {d.subtechniques.length ? (
            <>
              <h2>Sub-techniques</h2>
              <ul>
                {d.subtechniques.map((s) => (
                  <li key={s.id}>
                    <Link to={href("techniques", s.id)}>
                      <span className="tid">{s.id}</span> {s.name}
                    </Link>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </div>
      </div>

      <h2>Detection rules</h2>
      {rules.error ? (
        isMissingEndpoint(rules.error) ? (
          <NotAvailable feature="a rule list" />
        ) : (
          <ErrorBox error={rules.error} />
        )
      ) : rules.data ? (
        rules.data.items.length ? (
          <ul data-testid="technique-rules">
            {rules.data.items.map((r) => (
              <li key={r.id}>
                {r.title} {r.level ? <Badge kind="level">{r.level}</Badge> : null}{" "}
                <small className="muted">{r.file ?? r.id}</small>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">No deployed rule is tagged with this technique.</p>
        )
      ) : (
        <Loading />
      )}

      <h2>Playbooks</h2>
      {playbooks.error ? (
        isMissingEndpoint(playbooks.error) ? (
          <NotAvailable feature="playbooks" />
        ) : (
          <ErrorBox error={playbooks.error} />
        )
      ) : playbooks.data ? (
        playbooks.data.items.length ? (
          <ul data-testid="technique-playbooks">
            {playbooks.data.items.map((p) => (
              <li key={p.id}>
                {p.title} {p.status ? <Badge kind={p.status}>{p.status}</Badge> : null}{" "}
                <small className="muted">
                  {p.owner ? `owner ${p.owner}` : ""} {p.lastReviewed ? `· reviewed ${fmtDay(p.lastReviewed)}` : ""}
                </small>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">No playbook covers this technique.</p>
        )
      ) : (
        <Loading />
      )}

      <h2>Incidents that used it</h2>
      {incidents.error ? <ErrorBox error={incidents.error} /> : null}
      {incidents.data ? (
        <>
          <p className="muted" data-testid="technique-incident-count">
            {incidents.data.total} incident{incidents.data.total === 1 ? "" : "s"} (including sub-techniques).{" "}
            {incidents.data.total > incidents.data.items.length ? (
              <a href={hrefQuery("#/incidents", { technique: d.id })}>See all</a>
            ) : null}
          </p>
          <ul>
            {incidents.data.items.map((i) => (
              <li key={i.key}>
                <Link to={href("incidents", i.key)}>{i.key}</Link> {i.title} <DemoBadge demo={i.isDemo} />{" "}
                <small className="muted">
                  {fmtDay(i.date)} · {i.severity}
                </small>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
