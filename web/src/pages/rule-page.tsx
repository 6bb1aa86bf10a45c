// The built-in detection rules: #/rules lists them (title, level, techniques), #/rules/{id} shows one rule with
// its techniques, status, source, description and YAML text. Data from GET /api/rules and /api/rules/{id}.
import { client } from "../client";
import { Badge, ErrorBox, Loading, PageTitle, plural } from "../components/common";
import { href, Link } from "../router";
import { useCall } from "../use-api";

export function RulesPage() {
  const rules = useCall(client.rules.$get, { query: {} });
  return (
    <section>
      <PageTitle>Detection rules</PageTitle>
      {rules.error ? <ErrorBox error={rules.error} /> : null}
      {rules.data ? (
        <>
          <p className="muted">{plural(rules.data.total, "built-in rule")}.</p>
          <table className="list" data-testid="rules-table">
            <thead>
              <tr>
                <th>Rule</th>
                <th>Level</th>
                <th>Techniques</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {rules.data.items.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={href("rules", r.id)}>{r.title}</Link>
                  </td>
                  <td>
                    <Badge kind={`level-${r.level}`}>{r.level}</Badge>
                  </td>
                  <td>
                    {r.techniques.map((t) => (
                      <Link key={t} to={href("techniques", t)} className="tid">
                        {t}{" "}
                      </Link>
                    ))}
                  </td>
                  <td>{r.status ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : rules.error ? null : (
        <Loading what="Loading rules" />
      )}
    </section>
  );
}

export function RulePage({ id }: { id: string }) {
  const rule = useCall(client.rules[":id"].$get, { param: { id } });
  if (rule.error) return <ErrorBox error={rule.error} />;
  if (!rule.data) return <Loading what="Loading the rule" />;
  const r = rule.data;
  return (
    <section className="rule" data-testid="rule-page">
      <PageTitle>
        {r.title} <Badge kind={`level-${r.level}`}>{r.level}</Badge>
      </PageTitle>
      <dl className="facts">
        <dt>ID</dt>
        <dd>
          <code>{r.id}</code>
        </dd>
        <dt>Kind</dt>
        <dd>{r.kind === "correlation" ? `correlation (${r.correlation?.type ?? ""})` : "single event"}</dd>
        <dt>Status</dt>
        <dd>{r.status ?? "—"}</dd>
        <dt>Techniques</dt>
        <dd>
          {r.techniques.length
            ? r.techniques.map((t) => (
                <Link key={t} to={href("techniques", t)} className="tid">
                  {t}{" "}
                </Link>
              ))
            : "—"}
        </dd>
        <dt>Tags</dt>
        <dd>{r.tags.join(", ") || "—"}</dd>
        <dt>Source</dt>
        <dd>
          <code>{r.source}</code>
        </dd>
      </dl>
      {r.description ? <p className="prewrap description">{r.description}</p> : null}
      <h2>Rule (YAML)</h2>
      <pre className="yaml" data-testid="rule-yaml">
        {r.yaml}
      </pre>
    </section>
  );
}
