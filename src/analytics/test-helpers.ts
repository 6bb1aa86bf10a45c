// Hand-made incidents with known analytics answers, for analytics, playbook and stats tests. Tests that need
// volume (many realistic incidents over a period) use the demo generator, `generateDemoIncidents` in
// src/incidents/demo.ts, with its `from`/`to` options.
import { type NewIncident, type NewIncidentInput, NewIncident as NewIncidentSchema } from "../incidents/model.js";

const HOUR = 3_600_000;
const at = (iso: string, plusHours = 0) => new Date(Date.parse(iso) + plusHours * HOUR).toISOString();

function inc(over: NewIncidentInput): NewIncident {
  return NewIncidentSchema.parse(over);
}

/**
 * Five hand-made incidents with known analytics answers (see analytics.test.ts): two ransom incidents of
 * Glass Heron, a mining incident of Ember Wasp, one older key misuse and one without techniques.
 */
export function analyticsFixture(V: string): NewIncident[] {
  const t = (id: string, firstSeen?: string) => ({ id, catalogVersion: V, ...(firstSeen ? { firstSeen } : {}) });
  return [
    inc({
      key: "IR-2026-0001",
      title: "S3 ransom",
      severity: "P1",
      status: "contained",
      timeline: {
        firstActivity: "2026-07-05T00:00:00Z",
        detected: at("2026-07-05T00:00:00Z", 2),
        contained: at("2026-07-05T00:00:00Z", 6),
      },
      accounts: ["111122223333"],
      detectionSource: "guardduty",
      threatActor: "Glass Heron",
      tags: ["ransom"],
      // Stored out of order: paths must follow first-seen times.
      techniques: [
        t("T1486.A001", "2026-07-05T03:00:00Z"),
        t("T1078.A001", "2026-07-05T01:00:00Z"),
        t("T1619.A001", "2026-07-05T02:00:00Z"),
      ],
    }),
    inc({
      key: "IR-2026-0002",
      title: "Second ransom",
      severity: "P2",
      status: "contained",
      timeline: {
        firstActivity: "2026-08-10T00:00:00Z",
        detected: at("2026-08-10T00:00:00Z", 10),
        contained: at("2026-08-10T00:00:00Z", 12),
      },
      accounts: ["444455556666"],
      detectionSource: "customer-report",
      threatActor: "glass  heron",
      techniques: [t("T1078.A001"), t("T1486.A001")],
    }),
    inc({
      key: "IR-2026-0003",
      title: "Miners",
      severity: "P3",
      timeline: { firstActivity: "2026-08-20T00:00:00Z", detected: at("2026-08-20T00:00:00Z", 48) },
      detectionSource: "billing-anomaly",
      threatActor: "Ember Wasp",
      techniques: [t("T1078.A001"), t("T1496.A008")],
    }),
    inc({
      key: "IR-2026-0004",
      title: "Key used once",
      severity: "P4",
      status: "contained",
      timeline: {
        firstActivity: "2026-04-15T00:00:00Z",
        detected: at("2026-04-15T00:00:00Z", 1),
        contained: at("2026-04-15T00:00:00Z", 2),
      },
      detectionSource: "guardduty",
      techniques: [t("T1078.A001")],
    }),
    inc({
      key: "IR-2026-0005",
      title: "Not yet analysed",
      severity: "P2",
      timeline: { detected: "2026-09-01T00:00:00Z" },
    }),
  ];
}
