// QueryRunners over the AWS SDK: Athena (StartQueryExecution, GetQueryExecution, GetQueryResults) and CloudTrail
// Lake (StartQuery, GetQueryResults). Both take the standard credential chain, the SDK's retry strategy, and an
// optional request handler (tests replace the network layer with recorded responses; the SDK stays real).
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import {
  CloudTrailClient,
  GetQueryResultsCommand as LakeResultsCommand,
  StartQueryCommand,
} from "@aws-sdk/client-cloudtrail";
import { TechtrailError } from "../core/errors.js";
import { poll, QueryFailed, type QueryRunner, type Row } from "./hunt.js";

// the pinned SDK supports Node 20; its notice that later releases will not would only clutter stderr
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export interface AwsClientOptions {
  region?: string;
  maxAttempts?: number;
  /** Replaces the network layer (the SDK's HttpHandler interface): recorded responses in tests. */
  requestHandler?: unknown;
  /** Poll timeout per query (ms). */
  timeoutMs?: number;
}

function clientConfig(o: AwsClientOptions) {
  return {
    region: o.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
    maxAttempts: o.maxAttempts ?? 5,
    // biome-ignore lint/suspicious/noExplicitAny: the SDK's handler type differs per client package
    ...(o.requestHandler ? { requestHandler: o.requestHandler as any } : {}),
  };
}

/** SDK errors (credentials, access, throttling after retries) as one message naming the query. */
function sdkError(e: unknown, what: string): TechtrailError {
  const err = e as { name?: string; message?: string };
  const name = err?.name ?? "Error";
  const auth = name === "CredentialsProviderError" || /AccessDenied|UnrecognizedClient|InvalidSignature/.test(name);
  return new TechtrailError(auth ? "AUTH" : "IO", `${what}: ${name}: ${err?.message ?? String(e)}`, { cause: e });
}

export interface AthenaTarget {
  database: string;
  workgroup: string;
  /** s3://bucket/prefix/ for the query results. */
  output: string;
  catalog?: string;
}

export class AthenaRunner implements QueryRunner {
  readonly engine = "athena" as const;
  private readonly client: AthenaClient;

  constructor(
    private readonly target: AthenaTarget,
    private readonly o: AwsClientOptions = {},
  ) {
    this.client = new AthenaClient(clientConfig(o));
  }

  async run(sql: string, name: string, signal?: AbortSignal): Promise<{ id: string; rows: Row[] }> {
    let id: string;
    try {
      const started = await this.client.send(
        new StartQueryExecutionCommand({
          QueryString: sql,
          QueryExecutionContext: {
            Database: this.target.database,
            ...(this.target.catalog ? { Catalog: this.target.catalog } : {}),
          },
          WorkGroup: this.target.workgroup,
          ResultConfiguration: { OutputLocation: this.target.output },
        }),
      );
      id = started.QueryExecutionId ?? "";
    } catch (e) {
      throw sdkError(e, `Athena query for rule ${name} did not start`);
    }
    const state = await poll(
      async () => {
        const q = await this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
        const s = q.QueryExecution?.Status;
        return s?.State === "SUCCEEDED" || s?.State === "FAILED" || s?.State === "CANCELLED" ? s : undefined;
      },
      signal,
      `Athena query ${id} (rule ${name})`,
      this.o.timeoutMs,
    );
    if (state.State !== "SUCCEEDED")
      throw new QueryFailed(
        `Athena query ${id} (rule ${name}) ${state.State === "CANCELLED" ? "was cancelled" : "failed"}: ${state.StateChangeReason ?? state.AthenaError?.ErrorMessage ?? "no reason given"}`,
        id,
      );
    const rows: Row[] = [];
    let columns: string[] | undefined;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new GetQueryResultsCommand({ QueryExecutionId: id, ...(token ? { NextToken: token } : {}) }),
      );
      columns ??= (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? "");
      let list = page.ResultSet?.Rows ?? [];
      // the first row of the first page repeats the column names
      if (token === undefined) list = list.slice(1);
      for (const r of list) {
        const row: Row = {};
        (r.Data ?? []).forEach((d, i) => {
          row[columns?.[i] ?? String(i)] = d.VarCharValue ?? null;
        });
        rows.push(row);
      }
      token = page.NextToken;
    } while (token);
    return { id, rows };
  }
}

export class LakeRunner implements QueryRunner {
  readonly engine = "cloudtrail-lake" as const;
  private readonly client: CloudTrailClient;

  constructor(
    private readonly eventDataStore: string,
    private readonly o: AwsClientOptions = {},
  ) {
    this.client = new CloudTrailClient(clientConfig(o));
  }

  async run(sql: string, name: string, signal?: AbortSignal): Promise<{ id: string; rows: Row[] }> {
    let id: string;
    try {
      const started = await this.client.send(new StartQueryCommand({ QueryStatement: sql }));
      id = started.QueryId ?? "";
    } catch (e) {
      throw sdkError(e, `CloudTrail Lake query for rule ${name} did not start`);
    }
    const rows: Row[] = [];
    let token: string | undefined;
    for (;;) {
      const page = await poll(
        async () => {
          const r = await this.client.send(
            new LakeResultsCommand({
              QueryId: id,
              EventDataStore: this.eventDataStore,
              ...(token ? { NextToken: token } : {}),
            }),
          );
          return r.QueryStatus === "QUEUED" || r.QueryStatus === "RUNNING" ? undefined : r;
        },
        signal,
        `CloudTrail Lake query ${id} (rule ${name})`,
        this.o.timeoutMs,
      );
      if (page.QueryStatus !== "FINISHED")
        throw new QueryFailed(
          `CloudTrail Lake query ${id} (rule ${name}) ${page.QueryStatus === "CANCELLED" ? "was cancelled" : page.QueryStatus === "TIMED_OUT" ? "timed out" : "failed"}: ${page.ErrorMessage ?? "no reason given"}`,
          id,
        );
      // each row is a list of one-key maps, column → value
      for (const r of page.QueryResultRows ?? []) {
        const row: Row = {};
        for (const cell of r) for (const [k, v] of Object.entries(cell)) row[k] = v ?? null;
        rows.push(row);
      }
      token = page.NextToken;
      if (!token) return { id, rows };
    }
  }
}
