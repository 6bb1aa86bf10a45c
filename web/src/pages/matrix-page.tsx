// The tactic × technique matrix: tactics as columns, top-level techniques as cells with expandable
// sub-techniques, coloured by incident frequency (GET /api/catalog/matrix) or by detection coverage
// (GET /api/coverage) with a toggle. Colours are CSS classes (heat-0..5, cov-*), never inline styles.
import { useEffect, useRef, useState } from "react";
import { api } from "../api";
import type { Matrix, MatrixCell } from "../api-types";
import { ErrorBox, Loading, PageTitle, plural } from "../components/common";
import { type CoverageLevel, type CoverageReport, coverageByTechnique } from "../coverage";
import { downloadJson } from "../download";
import { href, hrefQuery, Link } from "../router";
import { useApi } from "../use-api";

type Mode = "frequency" | "coverage";
type DemoFilter = "all" | "real" | "demo";

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
      const layers = await api.post<{ attack: unknown; full: unknown }>("/api/catalog/layer", {
        scores: matrixScores(matrix),
        name: `techtrail: incident frequency (${label})`,
        description: `Incidents per technique, catalog ${matrix.catalogVersion}, ${matrix.totalIncidents} incidents`,
      });
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
  const [demoFilter, setDemoFilter] = useState<DemoFilter>(
    demo === "only" ? "demo" : demo === "exclude" ? "real" : "all",
  );
  const [expandAll, setExpandAll] = useState(false);
  const matrix = useApi<Matrix>("/api/catalog/matrix", {
    demo: demoFilter === "all" ? undefined : demoFilter === "demo" ? "only" : "exclude",
  });
  const [profile, setProfile] = useState("");
  const profiles = useApi<{ items: string[] }>(mode === "coverage" ? "/api/coverage/profiles" : null);
  const coverage = useApi<CoverageReport>(mode === "coverage" ? "/api/coverage" : null, {
    profile: profile || undefined,
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
            {mode === "coverage" && profiles.data?.items.length ? (
              <label className="inline">
                Monitoring profile
                <select value={profile} onChange={(e) => setProfile(e.target.value)} name="profile">
                  {profiles.data.items.map((p, n) => (
                    <option key={p} value={n === 0 ? "" : p}>
                      {p}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
            <label className="inline">
              Incidents
              <select value={demoFilter} onChange={(e) => setDemoFilter(e.target.value as DemoFilter)}>
                <option value="all">all</option>
                <option value="real">real only</option>
                <option value="demo">demo only</option>
              </select>
            </label>
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
                label={demoFilter === "all" ? "all incidents" : `${demoFilter} incidents`}
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
                    demoParam={demoFilter === "all" ? undefined : demoFilter === "demo" ? "only" : "exclude"}
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
    <div className={`matrix-cell ${colour(cell.id, cell.incidentsWithSubtechniques)}`} data-technique={cell.id}>
      <div className="cell-main">
        <Link to={href("techniques", cell.id)} title={`${cell.id} ${cell.name}`}>
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
            <li key={s.id} className={colour(s.id, s.incidents)}>
              <Link to={href("techniques", s.id)} title={`${s.id} ${s.name}`}>
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
