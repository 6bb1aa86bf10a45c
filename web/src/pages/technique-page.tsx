// A technique: description, tactics, the CloudTrail events that reveal it, data sources, detection notes,
// mitigations, sub-techniques, the built-in detection rules tagged with it, the playbooks that cover it and
// the incidents that used it.
import type { TechniqueDetail } from "../api-types";
import { client } from "../client";
import { Badge, DemoBadge, ErrorBox, fmtDay, Loading, PageTitle } from "../components/common";
import { levelOf } from "../coverage";
import { href, hrefQuery, Link } from "../router";
import { useCall } from "../use-api";

export function TechniquePage({ id }: { id: string }) {
  const t = useCall(client.catalog.techniques[":id"].$get, { param: { id } });

  if (t.error) return <ErrorBox error={t.error} />;
  if (!t.data) return <Loading />;
  const d = t.data;
  return (
    <section className="technique">
      <PageTitle>
        <span className="tid">{d.id}</span> {d.name}{" "}
        {d.status !== "active" ? <Badge kind="warn">{d.status}</Badge> : null}
        {d.source === "overlay" ? <OverlayBadge /> : null}
      </PageTitle>
      {d.source === "overlay" ? (
        <p className="notice" data-testid="overlay-notice">
          A team technique from the overlay loaded on top of the catalog, not part of the shipped catalog.
        </p>
      ) : null}
      {d.overlayAdditions ? <OverlayAdditionsNote added={d.overlayAdditions} /> : null}
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

      <TechniqueFacts technique={d} />

      <h2>Detection rules</h2>
      <TechniqueRules id={d.id} />
      <TechniqueCoverage id={d.id} />

      <h2>Playbooks</h2>
      <TechniquePlaybooks technique={d} />

      <h2>Incidents that used it</h2>
      <TechniqueIncidents technique={d} />
    </section>
  );
}

function OverlayBadge() {
  return (
    <span className="badge badge-overlay" title="from the team overlay, not the shipped catalog">
      overlay
    </span>
  );
}

/** What the team overlay adds to a catalog technique (also shown, marked, in the lists below). */
function OverlayAdditionsNote({ added }: { added: NonNullable<TechniqueDetail["overlayAdditions"]> }) {
  const parts = [
    added.events.length ? `${added.events.length} event${added.events.length === 1 ? "" : "s"}` : "",
    added.aliases.length ? `${added.aliases.length} alias${added.aliases.length === 1 ? "" : "es"}` : "",
    added.mitigations.length
      ? `${added.mitigations.length} mitigation note${added.mitigations.length === 1 ? "" : "s"}`
      : "",
    added.detection !== null ? "a detection note" : "",
    added.references.length ? `${added.references.length} reference${added.references.length === 1 ? "" : "s"}` : "",
  ].filter(Boolean);
  return (
    <p className="notice" data-testid="overlay-additions">
      <OverlayBadge /> The team overlay adds {parts.join(", ")} to this catalog technique.
    </p>
  );
}

/** Events, data sources, detection notes, mitigations and sub-techniques. */
function TechniqueFacts({ technique: d }: { technique: TechniqueDetail }) {
  const addedEvents = new Set(d.overlayAdditions?.events ?? []);
  const addedMitigations = new Set(d.overlayAdditions?.mitigations.map((m) => m.id) ?? []);
  return (
    <div className="grid-2">
      <div>
        <h2>CloudTrail events</h2>
        {d.events.length ? (
          <ul className="events">
            {d.events.map((e) => (
              <li key={e}>
                <code>{e}</code> {addedEvents.has(e) ? <OverlayBadge /> : null}
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
                : {m.how} {addedMitigations.has(m.id) ? <OverlayBadge /> : null}
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
                  </Link>{" "}
                  {s.source === "overlay" ? <OverlayBadge /> : null}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </div>
    </div>
  );
}

/** The built-in rules tagged with the technique. */
function TechniqueRules({ id }: { id: string }) {
  const rules = useCall(client.rules.$get, { query: { technique: id } });
  return (
    <>
      {rules.error ? (
        <ErrorBox error={rules.error} feature="detection rules" />
      ) : rules.data ? (
        <div data-testid="technique-rules">
          {rules.data.items.length ? (
            <ul>
              {rules.data.items.map((r) => (
                <li key={r.id}>
                  <Link to={href("rules", r.id)}>{r.title}</Link> <Badge kind={`level-${r.level}`}>{r.level}</Badge>
                  {r.kind === "correlation" ? <small className="muted"> correlation</small> : null}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">No built-in rule detects this technique.</p>
          )}
        </div>
      ) : (
        <Loading what="Loading rules" />
      )}
    </>
  );
}

/** Whether the default monitoring profile sees and detects the technique (no verdict before coverage arrives). */
function TechniqueCoverage({ id }: { id: string }) {
  const coverage = useCall(client.coverage.$get, { query: {} });
  const cov = coverage.data?.techniques.find((r) => r.id === id);
  return (
    <>
      {coverage.error ? (
        <ErrorBox error={coverage.error} feature="detection coverage" />
      ) : coverage.data ? (
        <p className="muted" data-testid="technique-coverage">
          Monitoring profile {coverage.data.profile.name}:{" "}
          {cov ? (
            <Badge kind={`cov-${levelOf(cov)}`}>{levelOf(cov)}</Badge>
          ) : (
            <Badge kind="cov-none">not covered</Badge>
          )}{" "}
          {cov?.visibleVia.length
            ? `visible through ${cov.visibleVia.join(", ")}`
            : "no data source of the profile reveals it"}
        </p>
      ) : (
        <Loading what="Loading coverage" />
      )}
    </>
  );
}

/** The playbooks that name the technique or its parent. */
function TechniquePlaybooks({ technique: d }: { technique: TechniqueDetail }) {
  const playbooks = useCall(client.playbooks.$get, {});
  const covering = (playbooks.data?.items ?? []).filter(
    (p) => p.techniques.includes(d.id) || (d.parent !== undefined && p.techniques.includes(d.parent)),
  );
  return (
    <>
      {playbooks.error ? (
        <ErrorBox error={playbooks.error} feature="playbooks" />
      ) : playbooks.data ? (
        covering.length ? (
          <ul data-testid="technique-playbooks">
            {covering.map((p) => (
              <li key={p.id}>
                <Link to={href("playbooks", p.id)}>
                  <strong>{p.title}</strong>
                </Link>{" "}
                <Badge kind={p.status}>{p.status}</Badge>{" "}
                <small className="muted">
                  {p.id} · owner {p.owner} · reviewed {fmtDay(p.last_reviewed)}
                  {p.techniques.includes(d.id) ? "" : ` · covers the parent ${d.parent}`}
                  {p.missingPhases.length ? ` · missing phases: ${p.missingPhases.join(", ")}` : ""}
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
    </>
  );
}

/** The latest incidents that used the technique (or its sub-techniques). */
function TechniqueIncidents({ technique: d }: { technique: TechniqueDetail }) {
  const incidents = useCall(client.incidents.$get, {
    query: { technique: d.id, limit: 20, sort: "date", order: "desc" },
  });
  return (
    <>
      {incidents.error ? <ErrorBox error={incidents.error} /> : null}
      {incidents.data ? (
        <>
          <p className="muted" data-testid="technique-incident-count">
            {incidents.data.total} incident{incidents.data.total === 1 ? "" : "s"}
            {d.subtechniques.length ? " (including sub-techniques)" : ""}.{" "}
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
    </>
  );
}
