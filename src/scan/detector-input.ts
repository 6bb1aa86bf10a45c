// Detector output in a scan: picks the detector files out of the inputs (from their content), reads them on
// the calling thread (they are small; the CloudTrail workers never see them), and turns each detector
// finding into a scan Finding whose techniques come from the reviewed mappings (mappings/<detector>.yaml).
// A type no mapping lists is kept as a finding without techniques and counted as unmapped, never dropped.

import type { Readable } from "node:stream";
import type { Catalog } from "../catalog/catalog.js";
import { type DetectorMappings, loadDetectorMappings } from "../detectors/mapping.js";
import type { DetectorFinding, DetectorMappingResult, DetectorProblem, DetectorSummary } from "../detectors/model.js";
import {
  type DetectorFileKind,
  type ReadFinding,
  readDetectorFile,
  readDetectorStream,
  sniffDetectorFile,
} from "../detectors/read.js";
import type { Finding } from "./model.js";

export interface DetectorFile {
  path: string;
  kind: DetectorFileKind;
  /** Where to read it from instead of the path (standard input, path "-"). */
  stream?: Readable;
}

/** Files sniffed at once. */
const SNIFF_CONCURRENCY = 16;

/** Splits input files into detector files and the rest (CloudTrail or unknown, for the scan engine). */
export async function splitDetectorFiles<T extends { path: string }>(
  files: readonly T[],
): Promise<{ detector: DetectorFile[]; rest: T[] }> {
  const kinds: Array<DetectorFileKind | undefined> = new Array(files.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) kinds[i] = await sniffDetectorFile((files[i] as T).path);
  };
  await Promise.all(Array.from({ length: Math.min(SNIFF_CONCURRENCY, files.length) }, worker));
  const detector: DetectorFile[] = [];
  const rest: T[] = [];
  files.forEach((f, i) => {
    const kind = kinds[i];
    if (kind) detector.push({ path: f.path, kind });
    else rest.push(f);
  });
  return { detector, rest };
}

/** The scan Finding of a detector finding. */
export function detectorScanFinding(read: ReadFinding, mapping: DetectorMappingResult, catalog: Catalog): Finding {
  const d: DetectorFinding = read.finding;
  const detects = (mapping.techniques ?? []).filter((t) => t.relation === "detects").map((t) => t.id);
  const tactics = new Set<string>();
  for (const id of detects) for (const ta of catalog.technique(id)?.tactics ?? []) tactics.add(ta);
  const { title, accountId, region, ...kept } = d;
  const f: Finding = {
    rule: { id: `${d.detector}:${d.type}`, title: title ?? d.type, level: d.severity.label },
    techniques: detects,
    tactics: [...tactics].sort(),
    eventID: d.findingId,
    eventName: d.type,
    attempt: false,
    origin: {
      file: read.origin.file,
      ...(read.origin.line !== undefined ? { line: read.origin.line } : {}),
      ...(read.origin.index !== undefined
        ? { index: read.origin.index }
        : read.origin.row !== undefined
          ? { index: read.origin.row }
          : {}),
    },
  };
  const time = d.firstSeen ?? d.createdAt;
  if (time) f.eventTime = time;
  if (region) f.awsRegion = region;
  if (d.ips[0]) f.sourceIPAddress = d.ips[0];
  if (d.principalArn) f.principalArn = d.principalArn;
  if (d.accessKeyId) f.accessKeyId = d.accessKeyId;
  if (accountId) f.accountId = accountId;
  // last, after CloudTrail's fields, as in JSON output
  f.detector = { ...kept, mapping };
  return f;
}

/** Reads detector files into findings and keeps the detector part of the summary. */
export class DetectorInput {
  private mappings: DetectorMappings | undefined;
  private files = 0;
  private read = 0;
  private findings = 0;
  private readonly bySource = new Map<string, number>();
  private readonly byFormat = new Map<string, number>();
  private readonly unmapped = new Map<string, DetectorSummary["unmapped"]["types"][number]>();
  private readonly problemCounts = new Map<string, number>();
  private readonly examples: DetectorProblem[] = [];
  private problems = 0;

  constructor(
    private readonly catalog: Catalog,
    private readonly opts: {
      mappings?: DetectorMappings | undefined;
      mappingsDir?: string | undefined;
      examples: number;
    },
  ) {
    this.mappings = opts.mappings;
  }

  /** The mappings, loaded when the first detector file is met (a bad mapping file is an error then). */
  private mappingsOf(): DetectorMappings {
    this.mappings ??= loadDetectorMappings(this.catalog, ...(this.opts.mappingsDir ? [this.opts.mappingsDir] : []));
    return this.mappings;
  }

  private mappingOf(d: DetectorFinding): DetectorMappingResult {
    const m = this.mappingsOf();
    const entry = m.lookup(d.detector, d.type);
    if (entry) return { status: "mapped", techniques: entry.techniques };
    const reason = m.unmapped(d.detector, d.type)?.reason;
    return { status: "unmapped", ...(reason ? { reason } : {}) };
  }

  /** Reads the files in order and returns their findings, in file order. */
  async readFiles(files: readonly DetectorFile[]): Promise<Finding[]> {
    const out: Finding[] = [];
    for (const file of files) {
      this.files++;
      const res = file.stream
        ? await readDetectorStream(file.stream, file.path, file.kind)
        : await readDetectorFile(file.path, file.kind);
      this.read += res.read;
      for (const p of res.problems) {
        this.problems++;
        this.problemCounts.set(p.reason, (this.problemCounts.get(p.reason) ?? 0) + 1);
        if (this.examples.length < this.opts.examples) this.examples.push(p);
      }
      for (const r of res.findings) {
        const mapping = this.mappingOf(r.finding);
        if (mapping.status === "unmapped") {
          const key = `${r.finding.detector}\u0000${r.finding.type}`;
          const u = this.unmapped.get(key);
          if (u) u.count++;
          else
            this.unmapped.set(key, {
              detector: r.finding.detector,
              type: r.finding.type,
              count: 1,
              ...(mapping.reason ? { reason: mapping.reason } : {}),
              first: r.origin,
            });
        }
        this.findings++;
        this.bySource.set(r.finding.detector, (this.bySource.get(r.finding.detector) ?? 0) + 1);
        this.byFormat.set(r.finding.format, (this.byFormat.get(r.finding.format) ?? 0) + 1);
        out.push(detectorScanFinding(r, mapping, this.catalog));
      }
    }
    return out;
  }

  summary(): DetectorSummary {
    const sorted = (m: Map<string, number>) => Object.fromEntries([...m].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
    const types = [...this.unmapped.values()].sort(
      (a, b) => b.count - a.count || a.detector.localeCompare(b.detector) || a.type.localeCompare(b.type),
    );
    return {
      files: this.files,
      read: this.read,
      findings: this.findings,
      bySource: sorted(this.bySource),
      byFormat: sorted(this.byFormat),
      unmapped: { total: types.reduce((n, t) => n + t.count, 0), types },
      problems: { total: this.problems, byReason: sorted(this.problemCounts), examples: this.examples },
    };
  }
}
