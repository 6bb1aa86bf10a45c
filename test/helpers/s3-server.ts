// A real S3-compatible server for tests: s3rver (HTTP, S3 wire protocol, objects on disk) on a free local port.
// s3rver 3.7.1 lists with a delimiter wrongly when keys sit more than one folder below the prefix (it never walks
// those folders, so their common prefix is missing: `AWSLogs/` under a bucket of nested keys lists as empty).
// Real S3 returns them; the fix below lists the prefix whole through s3rver's own store and groups the keys into
// common prefixes as S3 does. Everything else (signatures, errors, GetObject, paging) is s3rver's.
import { createRequire } from "node:module";
import S3rver from "s3rver";

interface StoredObject {
  key: string;
}
interface ListResult {
  objects: StoredObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
}
interface ListOptions {
  delimiter?: string;
  prefix?: string;
  maxKeys?: number;
  startAfter?: string;
}
type ListObjects = (this: unknown, bucket: string, options: ListOptions) => Promise<ListResult>;

// the pinned SDK supports Node 20; its notice that later releases will not would clutter the test output
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const require = createRequire(import.meta.url);
const FilesystemStore = require("s3rver/lib/stores/filesystem.js") as { prototype: { listObjects: ListObjects } };
const original = FilesystemStore.prototype.listObjects;
if (!(original as { fixed?: boolean }).fixed) {
  const fixed: ListObjects = async function (this: unknown, bucket, options) {
    const { delimiter = "", prefix = "", maxKeys = Number.POSITIVE_INFINITY } = options;
    if (!delimiter) return original.call(this, bucket, options);
    const all = await original.call(this, bucket, { ...options, delimiter: "", maxKeys: Number.POSITIVE_INFINITY });
    const common = new Set<string>();
    const objects: StoredObject[] = [];
    let isTruncated = false;
    for (const o of all.objects) {
      const idx = o.key.slice(prefix.length).indexOf(delimiter);
      if (idx !== -1) common.add(o.key.slice(0, prefix.length + idx + delimiter.length));
      else if (objects.length < maxKeys) objects.push(o);
      else {
        isTruncated = true;
        break;
      }
    }
    return { objects, commonPrefixes: [...common].sort(), isTruncated };
  };
  (fixed as { fixed?: boolean }).fixed = true;
  FilesystemStore.prototype.listObjects = fixed;
}

export interface S3TestServer {
  endpoint: string;
  close(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1 (a free port), storing objects under `dir`. Credentials: S3RVER / S3RVER. */
export async function startS3Server(dir: string): Promise<S3TestServer> {
  const server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: dir });
  const { port } = await server.run();
  return { endpoint: `http://127.0.0.1:${port}`, close: () => server.close() };
}
