// A small catalog for unit tests of the incident register (the built-in catalog is only used end to end).
import { Catalog } from "../catalog/catalog.js";
import { CatalogData, type TechniqueInput } from "../catalog/model.js";

const T = (id: string, name: string, tactics: string[], extra: Partial<TechniqueInput> = {}): TechniqueInput => ({
  id,
  name,
  description: `${name}.`,
  tactics,
  ...(id.includes(".") ? { parent: id.split(".")[0] } : {}),
  created: "2026-01-01",
  modified: "2026-01-01",
  ...extra,
});

const TACTICS = [
  { id: "TA0005", shortname: "defense-evasion", name: "Defense Evasion", description: "Avoid detection." },
  { id: "TA0003", shortname: "persistence", name: "Persistence", description: "Keep access." },
  { id: "TA0006", shortname: "credential-access", name: "Credential Access", description: "Steal credentials." },
  { id: "TA0009", shortname: "collection", name: "Collection", description: "Gather data." },
  { id: "TA0040", shortname: "impact", name: "Impact", description: "Disrupt or destroy." },
];

/** Version 2026.11; pass `old: true` for 2026.01 where T1496.A005 is still active (revoked in 2026.11). */
export function testCatalog(opts: { old?: boolean; version?: string } = {}): Catalog {
  const techniques: TechniqueInput[] = [
    T("T1078", "Valid Accounts", ["TA0005"]),
    T("T1078.004", "Cloud Accounts", ["TA0005"]),
    T("T1078.A001", "Valid Accounts: IAM Users", ["TA0005"], {
      aliases: ["leaked access key", "stolen access keys"],
      events: ["iam:GetCallerIdentity"],
    }),
    T("T1098", "Account Manipulation", ["TA0003"]),
    T("T1098.001", "Additional Cloud Credentials", ["TA0003"], { events: ["iam:CreateAccessKey"] }),
    T("T1552", "Unsecured Credentials", ["TA0006"]),
    T("T1552.001", "Credentials In Files", ["TA0006"], { aliases: ["credential theft from files"] }),
    T("T1552.005", "Cloud Instance Metadata API", ["TA0006"], { aliases: ["credential theft via IMDS"] }),
    T("T1530", "Data from Cloud Storage", ["TA0009"]),
    T("T1530.A001", "S3 Object Collection", ["TA0009"], { events: ["s3:GetObject"] }),
    T("T1485", "Data Destruction", ["TA0040"]),
    T("T1485.A003", "S3 Object and Bucket Deletion", ["TA0040"], { events: ["s3:DeleteObject"] }),
    T("T1486", "Data Encrypted for Impact", ["TA0040"]),
    T("T1486.A001", "S3 Encryption: SSE-C Key Encryption", ["TA0040"], { aliases: ["s3 ransom"] }),
    T("T1496", "Resource Hijacking", ["TA0040"]),
    T("T1496.001", "Compute Hijacking", ["TA0040"], { aliases: ["cryptomining"] }),
    T("T1496.A008", "Compute Hijacking: EC2 Use", ["TA0040"], {
      aliases: ["cryptocurrency mining on EC2"],
      events: ["ec2:RunInstances"],
    }),
    opts.old
      ? T("T1496.A005", "EC2 Mining (old)", ["TA0040"])
      : T("T1496.A005", "EC2 Mining (old)", ["TA0040"], { status: "revoked", revokedBy: "T1496.A008" }),
  ];
  return new Catalog(
    CatalogData.parse({
      meta: {
        name: "test catalog",
        version: opts.version ?? (opts.old ? "2026.01" : "2026.11"),
        description: "Unit-test catalog",
      },
      tactics: TACTICS,
      dataSources: [],
      mitigations: [],
      techniques,
    }),
  );
}
