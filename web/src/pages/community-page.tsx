// Community: this team against shared community datasets (`techtrail stats share` files). The datasets kept in
// the service's folder (GET /api/community/datasets) are compared by default; a user can also add files of their
// own, which are sent with the request (POST /api/community/compare) and never stored.
import { useState } from "react";
import type { CommunityComparison, CommunityTechnique, DemoParam } from "../api-types";
import { client, ok } from "../client";
import { ErrorBox, Loading, PageTitle, pct, plural } from "../components/common";
import { DemoSelect } from "../components/demo-select";
import { href, Link } from "../router";
import { useCall } from "../use-api";

interface Upload {
  name: string;
  data: unknown;
}

export function CommunityPage() {
  const [demo, setDemo] = useState<DemoParam>("include");
  const [minCount, setMinCount] = useState(3);
  const [excluded, setExcluded] = useState<string[]>([]);
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [uploaded, setUploaded] = useState<{ result?: CommunityComparison; error?: unknown; busy: boolean }>({
    busy: false,
  });
  const folder = useCall(client.community.datasets.$get, {});
  const files = (folder.data?.datasets ?? []).map((d) => d.file).filter((f) => !excluded.includes(f));
  // The folder comparison loads by itself; with uploads the page posts them instead.
  const fromFolder = useCall(
    folder.data?.configured && files.length > 0 && uploads.length === 0 ? client.community.compare.$get : null,
    { query: { files: files.join(","), minCount: String(minCount), demo } },
  );

  async function readFiles(list: FileList | null) {
    const out: Upload[] = [];
    for (const f of Array.from(list ?? [])) {
      try {
        out.push({ name: f.name, data: JSON.parse(await f.text()) });
      } catch {
        // The server names the file and what was expected; an unreadable one is sent as text.
        out.push({ name: f.name, data: await f.text() });
      }
    }
    setUploads(out);
    setUploaded({ busy: false });
    if (out.length === 0) return;
    setUploaded({ busy: true });
    try {
      const result = await ok(client.community.compare.$post({ json: { datasets: out, files, minCount, demo } }));
      setUploaded({ result, busy: false });
    } catch (error) {
      setUploaded({ error, busy: false });
    }
  }

  const result = uploads.length ? uploaded.result : fromFolder.data;
  const error = uploads.length ? uploaded.error : fromFolder.error;
  const loading = uploads.length ? uploaded.busy : fromFolder.loading;
  return (
    <section>
      <PageTitle
        actions={
          <div className="toolbar">
            <DemoSelect value={demo} onChange={setDemo} inline />
            <label className="inline">
              at least{" "}
              <input
                type="number"
                min={1}
                value={minCount}
                className="narrow"
                aria-label="Incidents a technique needs on one side"
                onChange={(e) => setMinCount(Math.max(1, Number(e.target.value) || 1))}
              />{" "}
              incidents
            </label>
          </div>
        }
      >
        Community
      </PageTitle>
      <p className="muted">
        This team against anonymised statistics other teams share (<code>techtrail stats share</code>): which techniques
        we see more or less often than the community, and where we are slower to contain.
      </p>
      <h2>Datasets</h2>
      {folder.error ? <ErrorBox error={folder.error} feature="community statistics" /> : null}
      {folder.data && !folder.data.configured ? (
        <p className="notice" data-testid="community-no-folder">
          This service keeps no community datasets (start it with <code>--community-dir DIR</code> or{" "}
          <code>TECHTRAIL_COMMUNITY_DIR</code>). Add a file below to compare with it.
        </p>
      ) : null}
      {folder.data?.datasets.length ? (
        <ul className="plain" data-testid="community-datasets">
          {folder.data.datasets.map((d) => (
            <li key={d.file}>
              <label className="inline">
                <input
                  type="checkbox"
                  checked={!excluded.includes(d.file)}
                  onChange={(e) =>
                    setExcluded(e.target.checked ? excluded.filter((x) => x !== d.file) : [...excluded, d.file])
                  }
                />{" "}
                <code>{d.file}</code> · {d.quarter} · {plural(d.incidents, "incident")} · k = {d.k}
                {d.epsilon !== null ? ` · ε = ${d.epsilon}` : ""}
              </label>
            </li>
          ))}
        </ul>
      ) : null}
      {folder.data?.invalid.map((i) => (
        <p key={i.file} className="error" role="alert">
          <code>{i.file}</code> is left out: {i.problem}
        </p>
      ))}
      <label>
        Compare with files of your own (not stored)
        <input
          type="file"
          accept=".json,application/json"
          multiple
          data-testid="community-upload"
          onChange={(e) => void readFiles(e.target.files)}
        />
      </label>
      {error ? <ErrorBox error={error} /> : null}
      {loading && !result ? <Loading what="Comparing" /> : null}
      {result ? <Comparison r={result} /> : null}
    </section>
  );
}

function Comparison({ r }: { r: CommunityComparison }) {
  const over = r.techniques.filter((t) => t.verdict === "over");
  const under = r.techniques.filter((t) => t.verdict === "under");
  return (
    <>
      <p data-testid="community-summary">
        This team: {plural(r.local.incidents, "incident")} · community: {plural(r.community.incidents, "incident")} in{" "}
        {plural(r.files, "dataset")} · {r.quarters.join(", ")}
      </p>
      <h2>Over-represented here</h2>
      <ShareTable rows={over} testid="community-over" />
      <h2>Under-represented here</h2>
      <ShareTable rows={under} testid="community-under" />
      <h2>Slower to contain here</h2>
      {r.slowerToContain.length === 0 ? (
        <p className="muted">No technique is slower to contain here than in the community.</p>
      ) : (
        <table className="table" data-testid="community-slower">
          <thead>
            <tr>
              <th>Technique</th>
              <th className="num">Median here</th>
              <th className="num">Community median</th>
              <th className="num">Incidents here</th>
            </tr>
          </thead>
          <tbody>
            {r.slowerToContain.map((t) => (
              <tr key={t.id}>
                <td>
                  <TechniqueCell id={t.id} name={t.name} />
                </td>
                <td className="num">{hours(t.localMedianHours)}</td>
                <td className="num">{hours(t.communityMedianHours)}</td>
                <td className="num">{t.localSamples}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className="muted">
        Over- or under-represented: a share of incidents at least 1.5 times the community's, or at most two thirds of
        it, for techniques with at least {r.minCount} incidents on one side. Community medians are sample-weighted means
        of the datasets' medians.
      </p>
    </>
  );
}

const hours = (h: number) => (h < 48 ? `${h.toFixed(1)} h` : `${(h / 24).toFixed(1)} d`);

function TechniqueCell({ id, name }: { id: string; name: string | null }) {
  return (
    <>
      <Link to={href("techniques", id)} className="tid">
        {id}
      </Link>{" "}
      {name ?? "(not in catalog)"}
    </>
  );
}

function ShareTable({ rows, testid }: { rows: CommunityTechnique[]; testid: string }) {
  if (rows.length === 0) return <p className="muted">None.</p>;
  return (
    <table className="table" data-testid={testid}>
      <thead>
        <tr>
          <th>Technique</th>
          <th className="num">Here</th>
          <th className="num">Share here</th>
          <th className="num">Community</th>
          <th className="num">Community share</th>
          <th className="num">Ratio</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((t) => (
          <tr key={t.id}>
            <td>
              <TechniqueCell id={t.id} name={t.name} />
            </td>
            <td className="num">{t.local}</td>
            <td className="num">{pct(t.localShare)}</td>
            <td className="num">{t.community}</td>
            <td className="num">{pct(t.communityShare)}</td>
            <td className="num">{t.ratio === null ? "none shared" : `×${t.ratio.toFixed(2)}`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
