// A hand-made answer key (S3 ransomware with a leaked access key) for the scoring, store and API tests, so they
// do not depend on the generator's output.
import { AnswerKey } from "../scenarios/answer-key.js";
import { WorkshopRecord, type WorkshopSettingsInput } from "./model.js";

export const FIXTURE_KEY: AnswerKey = AnswerKey.parse({
  version: 1,
  generator: {
    scenarios: ["ransomware-s3"],
    seed: 7,
    accounts: 1,
    days: 1,
    background: 100,
    format: "jsonl",
    start: "2026-11-02T00:00:00Z",
    end: "2026-11-03T00:00:00Z",
  },
  scenarios: [
    {
      name: "ransomware-s3",
      title: "Ransomware on S3",
      account: "111122223333",
      region: "eu-west-1",
      window: { start: "2026-11-02T14:02:11Z", end: "2026-11-02T15:40:00Z" },
      initialAccess: {
        principalArn: "arn:aws:iam::111122223333:user/ci-deploy",
        accessKeyId: "AKIAWORKSHOPFIXTURE1",
        sourceIp: "198.51.100.23",
        eventId: "0d6c2a3e-0000-4000-8000-000000000001",
        time: "2026-11-02T14:02:11Z",
      },
      impact: {
        deleted: ["arn:aws:s3:::acme-backups/db/2026-11-01.dump"],
        encrypted: ["arn:aws:s3:::acme-invoices/2026/inv-001.pdf", "arn:aws:s3:::acme-invoices/2026/inv-002.pdf"],
        exfiltrated: ["arn:aws:s3:::acme-invoices/2026/inv-001.pdf"],
        created: [],
      },
      containBy: "2026-11-02T15:10:00Z",
      steps: [
        {
          id: "discover",
          title: "Who am I and what buckets are there",
          technique: "T1580",
          tactic: "TA0007",
          cloudtrailVisible: true,
          start: "2026-11-02T14:02:11Z",
          end: "2026-11-02T14:05:00Z",
          eventIds: ["0d6c2a3e-0000-4000-8000-000000000001", "0d6c2a3e-0000-4000-8000-000000000002"],
          eventNames: ["sts:GetCallerIdentity", "s3:ListBuckets"],
          principals: ["arn:aws:iam::111122223333:user/ci-deploy"],
          accessKeyIds: ["AKIAWORKSHOPFIXTURE1"],
          sourceIps: ["198.51.100.23"],
        },
        {
          id: "exfiltrate",
          title: "Copy the invoices out",
          technique: "T1530.A001",
          tactic: "TA0010",
          cloudtrailVisible: true,
          start: "2026-11-02T14:30:00Z",
          end: "2026-11-02T14:50:00Z",
          eventIds: ["0d6c2a3e-0000-4000-8000-000000000003"],
          eventNames: ["s3:GetObject"],
          principals: ["arn:aws:iam::111122223333:user/ci-deploy"],
          accessKeyIds: ["AKIAWORKSHOPFIXTURE1"],
          sourceIps: ["198.51.100.23"],
        },
        {
          id: "encrypt",
          title: "Encrypt the invoices with an outside key",
          technique: "T1486.A001",
          tactic: "TA0040",
          cloudtrailVisible: true,
          start: "2026-11-02T15:10:05Z",
          end: "2026-11-02T15:30:00Z",
          eventIds: ["0d6c2a3e-0000-4000-8000-000000000004"],
          eventNames: ["s3:CopyObject"],
          principals: ["arn:aws:iam::111122223333:user/ci-deploy"],
          accessKeyIds: ["AKIAWORKSHOPFIXTURE1"],
          sourceIps: ["198.51.100.23"],
        },
        {
          id: "delete",
          title: "Delete the backups",
          technique: "T1485.A003",
          tactic: "TA0040",
          cloudtrailVisible: true,
          start: "2026-11-02T15:35:00Z",
          end: "2026-11-02T15:40:00Z",
          eventIds: ["0d6c2a3e-0000-4000-8000-000000000005"],
          eventNames: ["s3:DeleteObject"],
          principals: ["arn:aws:iam::111122223333:user/ci-deploy"],
          accessKeyIds: ["AKIAWORKSHOPFIXTURE1"],
          sourceIps: ["198.51.100.23"],
        },
      ],
    },
  ],
});

/** The fixture scenario (the key holds exactly one). */
export const FIXTURE_SCENARIO = FIXTURE_KEY.scenarios[0] as AnswerKey["scenarios"][number];

/** A workshop record over the fixture key. */
export function fixtureWorkshop(id = "ws-fixture", settings: WorkshopSettingsInput = {}): WorkshopRecord {
  return WorkshopRecord.parse({
    id,
    title: "Friday ransomware drill",
    scenarioTitle: FIXTURE_SCENARIO.title,
    logs: { scenario: "ransomware-s3", seed: 7, accounts: 1, days: 1, background: 100, start: "2026-11-02T00:00:00Z" },
    settings,
    status: "open",
    createdBy: "facilitator",
    createdAt: "2026-11-20T09:00:00.000Z",
    closedAt: null,
    answerKey: FIXTURE_KEY,
  });
}
