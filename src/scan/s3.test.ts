// S3 errors as the real S3 client raises them, with the network layer replaced by recorded responses (the SDK's
// HttpHandler interface): a bucket in another region, throttling (retried with back-off, then named). The round
// trips against a real S3-compatible server are in test/scan-s3.test.ts.
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { s3ClientConfig, s3ErrorText } from "./s3.js";

function handler(status: number, headers: Record<string, string>, xml: string) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    metadata: { handlerProtocol: "http/1.1" },
    async handle() {
      calls++;
      return { response: { statusCode: status, headers, body: Readable.from([Buffer.from(xml)]) } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
}

async function listError(h: ReturnType<typeof handler>, maxAttempts = 1): Promise<unknown> {
  const client = new S3Client({
    ...s3ClientConfig({ region: "us-east-1", maxAttempts }),
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    requestHandler: h,
  });
  try {
    await client.send(new ListObjectsV2Command({ Bucket: "trail", Prefix: "AWSLogs/", Delimiter: "/" }));
  } catch (e) {
    return e;
  }
  throw new Error("expected an error");
}

describe("S3 errors", () => {
  it("a bucket in another region names the region to use", async () => {
    const e = await listError(
      handler(
        301,
        { "x-amz-bucket-region": "eu-west-1", "content-type": "application/xml" },
        "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message></Error>",
      ),
    );
    assert.equal(
      s3ErrorText(e, "s3://trail/AWSLogs/", "us-east-1"),
      "s3://trail/AWSLogs/: the bucket is in another region (eu-west-1) than the client's (us-east-1): pass --s3-region eu-west-1 or set AWS_REGION",
    );
  });

  it("throttling is retried with back-off, then named with the attempts", async () => {
    const h = handler(
      503,
      { "content-type": "application/xml" },
      "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>",
    );
    const e = await listError(h, 3);
    assert.equal(h.calls, 3);
    assert.match(
      s3ErrorText(e, "s3://trail/AWSLogs/"),
      /^s3:\/\/trail\/AWSLogs\/: throttled by S3 after 3 attempt\(s\) \(SlowDown\)/,
    );
  });
});
