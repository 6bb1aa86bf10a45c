// The tactic × technique matrix: tactics as columns, top-level techniques as cells with expandable
// sub-techniques, coloured by incident frequency (GET /api/catalog/matrix) or by detection coverage
// (GET /api/coverage) with a toggle. Colours are CSS classes (heat-0..5, cov-*), never inline styles.
import { useEffect, useRef, useState } from "react";
import type { DemoParam, Matrix, MatrixCell } from "../api-types";
import { client, ok } from "../client";
import { ErrorBox, Loading, PageTitle, plural } from "../components/common";
import { DemoSelect, demoParam } from "../components/demo-select";
import { ProfileSelect } from "../components/profile-select";
import { type CoverageLevel, coverageByTechnique } from "../coverage";
import { downloadJson } from "../download";
import { href, hrefQuery, Link } from "../router";
import { useCall } from "../use-api";

type Mode = "frequency" | "coverage";

/** 0 for none, else 1..5 by share of the busiest technique. */
export function heatLevel(n: number, max: number): number {
  if (n <= 0 || max <= 0) return 0;
  return Math.max(1, Math.min(5, Math.ceil((n / max) * 5)));
}

const LEVEL_TEXT: Record<CoverageLevel, string> = {
  validated: "validated",
  detected: "detected",
  visible: "visible",
  none: "not covered",
};
/** Short cell marks; the colour carries the level, the mark makes it readable in grey print. */
const LEVEL_MARK: Record<CoverageLevel, string> = { validated: "VAL", detected: "DET", visible: "VIS", none: "—" };

/** Incidents per technique (exact IDs, sub-techniques separately) as Navigator layer scores. */
export function matrixScores(m: Matrix): Record<string, number> {
  const scores: Record<string, number> = {};
  for (const ta of m.tactics)
    for (const t of ta.techniques) {
      if (t.incidents > 0) scores[t.id] = t.incidents;
      for (const s of t.subtechniques) if (s.incidents > 0) scores[s.id] = s.incidents;
    }
  return scores;
}

function LayerButtons({ matrix, label }: { matrix: Matrix; label: string }) {
  const [error, setError] = useState<unknown>(null);
  async function download(variant: "attack" | "full") {
    setError(null);
    try {
      const layers = await ok(
        client.catalog.layer.$post({
          json: {
            scores: matrixScores(matrix),
            name: `techtrail: incident frequency (${label})`,
            description: `Incidents per technique, catalog ${matrix.catalogVersion}, ${matrix.totalIncidents} incidents`,
          },
        }),
      );
      downloadJson(layers[variant], `techtrail-frequency-${variant}.layer.json`);
    } catch (e) {
      setError(e);
    }
  }
  return (
    <span className="toolbar no-print">
      <span className="muted">ATT&CK Navigator layer:</span>
      <button type="button" className="link" onClick={() => void download("attack")}>
        ATT&CK IDs
      </button>
      <button type="button" className="link" onClick={() => void download("full")}>
        catalog IDs
      </button>
      {error ? <ErrorBox error={error} /> : null}
    </span>
  );
}

export function MatrixPage({ demo }: { demo?: string | null }) {
  const [mode, setMode] = useState<Mode>("frequency");
  const [demoFilter, setDemoFilter] = useState<DemoParam>(demoParam(demo));
  const [expandAll, setExpandAll] = useState(false);
  const matrix = useCall(client.catalog.matrix.$get, { query: { demo: demoFilter } });
  const [profile, setProfile] = useState("");
  const profiles = useCall(mode === "coverage" ? client.coverage.profiles.$get : null, {});
  const coverage = useCall(mode === "coverage" ? client.coverage.$get : null, {
    query: { profile: profile || undefined },
  });
  const covMap = coverage.data ? coverageByTechnique(coverage.data) : undefined;
  const overflow = useOverflow(matrix.data?.tactics.length ?? 0);

  return (
    <section>
      <PageTitle
        actions={
          <div className="toolbar">
            <fieldset className="segmented" aria-label="Colour by">
              <legend className="sr-only">Colour by</legend>
              <button
                type="button"
                className={mode === "frequency" ? "on" : ""}
                aria-pressed={mode === "frequency"}
                onClick={() => setMode("frequency")}
              >
                Incident frequency
              </button>
              <button
                type="button"
                className={mode === "coverage" ? "on" : ""}
                aria-pressed={mode === "coverage"}
                onClick={() => setMode("coverage")}
              >
                Detection coverage
              </button>
            </fieldset>
            {mode === "coverage" ? (
              <ProfileSelect profiles={profiles.data} value={profile} onChange={setProfile} />
            ) : null}
            <DemoSelect value={demoFilter} onChange={setDemoFilter} inline />
            <label className="inline">
              <input type="checkbox" checked={expandAll} onChange={(e) => setExpandAll(e.target.checked)} />
              show sub-techniques
            </label>
          </div>
        }
      >
        Matrix
      </PageTitle>
      {matrix.error ? <ErrorBox error={matrix.error} /> : null}
      {mode === "coverage" && coverage.error ? <ErrorBox error={coverage.error} feature="detection coverage" /> : null}
      {!matrix.data ? (
        matrix.loading ? (
          <Loading />
        ) : null
      ) : (
        <>
          <p className="muted" data-testid="matrix-summary">
            Catalog {matrix.data.catalogVersion} · <span data-testid="matrix-total">{matrix.data.totalIncidents}</span>{" "}
            incident{matrix.data.totalIncidents === 1 ? "" : "s"} · {plural(matrix.data.tactics.length, "tactic")}{" "}
            {mode === "frequency"
              ? `· darker = more incidents (busiest technique: ${matrix.data.maxIncidents})`
              : coverage.data
                ? `· monitoring profile ${coverage.data.profile.name}`
                : ""}
          </p>
          <div className="legend-row">
            <Legend mode={mode} />
            {mode === "frequency" && matrix.data.totalIncidents > 0 ? (
              <LayerButtons
                matrix={matrix.data}
                label={{ include: "all incidents", exclude: "real incidents", only: "demo incidents" }[demoFilter]}
              />
            ) : null}
          </div>
          {mode === "coverage" && !coverage.data && !coverage.error ? <Loading what="Loading coverage" /> : null}
          {overflow.more ? (
            <p className="scroll-cue" data-testid="matrix-scroll-cue">
              Scroll sideways for {plural(overflow.hidden, "more tactic")} →
            </p>
          ) : null}
          <div className={`matrix${overflow.more ? " more-right" : ""}`} data-testid="matrix" ref={overflow.ref}>
            {matrix.data.tactics.map((ta) => (
              <div className="matrix-col" key={ta.id}>
                <div className="matrix-head" title={ta.id}>
                  <span>{ta.name}</span>
                  <small>{plural(ta.techniques.length, "technique")}</small>
                </div>
                {ta.techniques.map((t) => (
                  <Cell
                    key={`${ta.id}:${t.id}`}
                    cell={t}
                    max={matrix.data?.maxIncidents ?? 0}
                    mode={mode}
                    coverage={covMap}
                    expandAll={expandAll}
                    demoParam={demoFilter === "include" ? undefined : demoFilter}
                  />
                ))}
              </div>
            ))}
          </div>
        </>
      )}
    </section>
  );
}

function Legend({ mode }: { mode: Mode }) {
  if (mode === "frequency")
    return (
      <div className="legend" aria-hidden="true">
        <span className="swatch heat-0" /> none
        {[1, 2, 3, 4, 5].map((n) => (
          <span key={n} className={`swatch heat-${n}`} />
        ))}{" "}
        most
      </div>
    );
  return (
    <div className="legend" aria-hidden="true">
      {(Object.keys(LEVEL_TEXT) as CoverageLevel[]).map((l) => (
        <span key={l}>
          <span className={`swatch cov-${l}`} /> {LEVEL_MARK[l]} {LEVEL_TEXT[l]}{" "}
        </span>
      ))}
    </div>
  );
}

function Cell(props: {
  cell: MatrixCell;
  max: number;
  mode: Mode;
  coverage: Map<string, CoverageLevel> | undefined;
  expandAll: boolean;
  /** The incident list's demo filter matching the matrix's (exclude: real only, only: demo only). */
  demoParam: string | undefined;
}) {
  const { cell, max, mode, coverage } = props;
  const [open, setOpen] = useState(false);
  const expanded = open || props.expandAll;
  // Until coverage arrives a cell shows no verdict (never "not covered" for data not loaded yet).
  const colour = (id: string, n: number) =>
    mode === "frequency" ? `heat-${heatLevel(n, max)}` : coverage ? `cov-${coverage.get(id) ?? "none"}` : "cov-loading";
  const mark = (id: string) =>
    coverage ? (
      <span className="count" title={LEVEL_TEXT[coverage.get(id) ?? "none"]}>
        {LEVEL_MARK[coverage.get(id) ?? "none"]}
      </span>
    ) : (
      <span className="count" title="loading coverage" aria-busy="true">
        …
      </span>
    );
  return (
    <div
      className={`matrix-cell ${colour(cell.id, cell.incidentsWithSubtechniques)}${cell.source === "overlay" ? " overlay" : ""}`}
      data-technique={cell.id}
      data-source={cell.source}
    >
      <div className="cell-main">
        <Link
          to={href("techniques", cell.id)}
          title={`${cell.id} ${cell.name}${cell.source === "overlay" ? " (team overlay)" : ""}`}
        >
          <span className="tid">{cell.id}</span> {cell.name}
        </Link>
        {mode === "frequency" ? (
          <a
            className="count"
            data-testid={`count-${cell.id}`}
            title="incidents (with sub-techniques): open the list"
            href={hrefQuery("#/incidents", { technique: cell.id, demo: props.demoParam })}
          >
            {cell.incidentsWithSubtechniques}
          </a>
        ) : (
          mark(cell.id)
        )}
      </div>
      {cell.subtechniques.length > 0 ? (
        <button
          type="button"
          className="link subs-toggle"
          aria-expanded={expanded}
          onClick={() => setOpen(!open)}
          disabled={props.expandAll}
        >
          {expanded ? "▾" : "▸"} {cell.subtechniques.length} sub-technique{cell.subtechniques.length === 1 ? "" : "s"}
        </button>
      ) : null}
      {expanded ? (
        <ul className="subs">
          {cell.subtechniques.map((s) => (
            <li
              key={s.id}
              className={`${colour(s.id, s.incidents)}${s.source === "overlay" ? " overlay" : ""}`}
              data-source={s.source}
            >
              <Link
                to={href("techniques", s.id)}
                title={`${s.id} ${s.name}${s.source === "overlay" ? " (team overlay)" : ""}`}
              >
                <span className="tid">{s.id}</span> {s.name}
              </Link>
              {mode === "frequency" ? <span className="count">{s.incidents}</span> : mark(s.id)}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/**
 * Whether the matrix is wider than its box and how many tactic columns are still off to the right, so the page
 * can say so (the columns keep a readable width instead of shrinking to fit any window).
 */
function useOverflow(columns: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [state, setState] = useState({ more: false, hidden: 0 });
  useEffect(() => {
    const el = ref.current;
    if (!el || columns === 0) return;
    const measure = () => {
      const rest = el.scrollWidth - el.clientWidth - el.scrollLeft;
      const colWidth = el.scrollWidth / columns;
      const hidden = rest > 4 ? Math.max(1, Math.round(rest / colWidth)) : 0;
      setState((s) => (s.hidden === hidden && s.more === hidden > 0 ? s : { more: hidden > 0, hidden }));
    };
    measure();
    el.addEventListener("scroll", measure, { passive: true });
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => {
      el.removeEventListener("scroll", measure);
      ro.disconnect();
    };
  }, [columns]);
  return { ref, ...state };
}
