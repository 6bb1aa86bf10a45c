// Threat actors: #/actors lists them (names, aliases, incidents, techniques, indicators, source), #/actors/{id}
// shows one with its techniques (seen in attributed incidents, declared by a source such as ATT&CK), its
// infrastructure indicators and its incidents. Data from GET /api/actors and /api/actors/{id}.
import { client } from "../client";
import { Badge, ErrorBox, Loading, PageTitle, plural } from "../components/common";
import { href, Link } from "../router";
import { useCall } from "../use-api";

export function ActorsPage() {
  const actors = useCall(client.actors.$get, {});
  return (
    <section>
      <PageTitle>Threat actors</PageTitle>
      {actors.error ? <ErrorBox error={actors.error} /> : null}
      {actors.data ? (
        actors.data.items.length === 0 ? (
          <p className="muted">
            No actors yet: <code>techtrail actor add NAME</code>, or <code>techtrail actor import BUNDLE</code> for
            ATT&amp;CK groups.
          </p>
        ) : (
          <>
            <p className="muted">{plural(actors.data.items.length, "actor")}.</p>
            <table className="list" data-testid="actors-table">
              <thead>
                <tr>
                  <th>Actor</th>
                  <th>Also known as</th>
                  <th>Incidents</th>
                  <th>Techniques</th>
                  <th>Indicators</th>
                  <th>Last seen</th>
                  <th>Source</th>
                </tr>
              </thead>
              <tbody>
                {actors.data.items.map((a) => (
                  <tr key={a.id}>
                    <td>
                      <Link to={href("actors", a.id)}>{a.name}</Link> <span className="muted">{a.id}</span>
                    </td>
                    <td>{a.aliases.slice(0, 4).join(", ") + (a.aliases.length > 4 ? ", …" : "")}</td>
                    <td>{a.incidents}</td>
                    <td>{a.techniques}</td>
                    <td>{a.indicators}</td>
                    <td>{(a.lastSeen ?? "").slice(0, 10) || "—"}</td>
                    <td>{a.source ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )
      ) : actors.error ? null : (
        <Loading what="Loading actors" />
      )}
    </section>
  );
}

export function ActorPage({ id }: { id: string }) {
  const detail = useCall(client.actors[":id"].$get, { param: { id } });
  if (detail.error) return <ErrorBox error={detail.error} />;
  if (!detail.data) return <Loading what="Loading the actor" />;
  const d = detail.data;
  const a = d.actor;
  return (
    <section className="actor" data-testid="actor-page">
      <PageTitle>
        {a.name} <span className="muted">{a.id}</span>
      </PageTitle>
      <dl className="facts">
        {a.aliases.length ? (
          <>
            <dt>Also known as</dt>
            <dd>{a.aliases.join(", ")}</dd>
          </>
        ) : null}
        <dt>Motivation</dt>
        <dd>{a.motivation ?? "—"}</dd>
        <dt>First seen</dt>
        <dd>{d.firstSeen?.slice(0, 10) ?? "—"}</dd>
        <dt>Last seen</dt>
        <dd>{d.lastSeen?.slice(0, 10) ?? "—"}</dd>
        {a.provenance ? (
          <>
            <dt>Source</dt>
            <dd>
              {a.provenance.source}
              {a.provenance.externalId ? ` · ${a.provenance.externalId}` : ""}
            </dd>
          </>
        ) : null}
        {d.mergedFrom.length ? (
          <>
            <dt>Merged from</dt>
            <dd>{d.mergedFrom.join(", ")}</dd>
          </>
        ) : null}
      </dl>
      {a.description ? <p className="description">{a.description}</p> : null}

      <h2>Techniques ({d.techniques.length})</h2>
      {d.techniques.length ? (
        <table className="list" data-testid="actor-techniques">
          <thead>
            <tr>
              <th>Technique</th>
              <th>Name</th>
              <th>Incidents</th>
              <th>Declared by</th>
            </tr>
          </thead>
          <tbody>
            {d.techniques.map((t) => (
              <tr key={t.id}>
                <td>
                  <Link to={href("techniques", t.id)} className="tid">
                    {t.id}
                  </Link>
                </td>
                <td>{t.name ?? "—"}</td>
                <td>{t.incidents}</td>
                <td>{t.declared ? (t.source ?? "yes") : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No technique known yet.</p>
      )}

      <h2>Infrastructure indicators ({a.indicators.length})</h2>
      {a.indicators.length ? (
        <table className="list" data-testid="actor-indicators">
          <thead>
            <tr>
              <th>Type</th>
              <th>Value</th>
              <th>Valid from</th>
              <th>Valid until</th>
              <th>Note</th>
            </tr>
          </thead>
          <tbody>
            {a.indicators.map((i) => (
              <tr key={`${i.type}|${i.value}|${i.validFrom ?? ""}`}>
                <td>
                  <Badge kind="indicator">{i.type}</Badge>
                </td>
                <td>
                  <code>{i.value}</code>
                </td>
                <td>{i.validFrom ?? "—"}</td>
                <td>{i.validUntil ?? "—"}</td>
                <td>{i.note ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No indicators: scans cannot recognise this actor's infrastructure.</p>
      )}

      <h2>Incidents ({d.incidents.length})</h2>
      {d.incidents.length ? (
        <table className="list" data-testid="actor-incidents">
          <thead>
            <tr>
              <th>Incident</th>
              <th>Date</th>
              <th>Status</th>
              <th>Severity</th>
              <th>Confidence</th>
            </tr>
          </thead>
          <tbody>
            {d.incidents.map((i) => (
              <tr key={i.key}>
                <td>
                  <Link to={href("incidents", i.key)}>{i.key}</Link> {i.title}
                </td>
                <td>{(i.date ?? "").slice(0, 10)}</td>
                <td>{i.status}</td>
                <td>{i.severity}</td>
                <td>{i.confidence ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">No incident is attributed to this actor.</p>
      )}
      {a.references.length ? (
        <>
          <h2>References ({a.references.length})</h2>
          <ul className="references">
            {a.references.slice(0, 30).map((r) => (
              <li key={`${r.source}|${r.url ?? ""}|${r.externalId ?? ""}`}>
                {r.url ? (
                  <a href={r.url} rel="noreferrer noopener" target="_blank">
                    {r.source}
                    {r.externalId ? ` ${r.externalId}` : ""}
                  </a>
                ) : (
                  `${r.source}${r.externalId ? ` ${r.externalId}` : ""}`
                )}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
