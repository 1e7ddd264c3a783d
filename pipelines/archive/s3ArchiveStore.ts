/**
 * The archive in S3: the platform stack's bucket (versioned, KMS-encrypted, lifecycle IA 30 d →
 * Glacier 90 d). Files go up through `@aws-sdk/lib-storage`'s Upload, which switches to a
 * multipart upload for files above one part; every object carries SSE-KMS headers naming the hub's
 * key, so objects are encrypted with it even where the bucket default differs. Credentials come
 * from the default provider chain and are never logged.
 */
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { quietNodeVersionNotice } from "../awsSdkNotice.ts";
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
import type { ArchiveStore, StoredObject } from "./archiveStore.ts";

/** S3's minimum part size is 5 MiB; 8 MiB parts keep a 1 GB file at 128 parts. */
export const MULTIPART_PART_SIZE = 8 * 1024 * 1024;

export interface S3ArchiveOptions {
  readonly bucket: string;
  /** KMS key id or ARN for SSE-KMS. */
  readonly kmsKeyId: string;
  readonly region?: string;
  /** An S3-compatible endpoint (MinIO, s3rver); path-style addressing is used with it. */
  readonly endpoint?: string;
  /** A client to use instead of building one (tests pass one with their own middleware). */
  readonly client?: S3Client;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export class S3ArchiveStore implements ArchiveStore {
  readonly location: string;
  readonly client: S3Client;
  private readonly opts: S3ArchiveOptions;
  private scratch: string | null = null;

  constructor(opts: S3ArchiveOptions) {
    if (!BUCKET_NAME.test(opts.bucket)) throw new Error(`bucket ${JSON.stringify(opts.bucket)} is not a valid S3 bucket name`);
    if (!opts.kmsKeyId.trim()) throw new Error("kmsKeyId is empty: the archive is written with SSE-KMS under the hub's key");
    this.opts = opts;
    this.location = `s3://${opts.bucket}`;
    const config: S3ClientConfig = {
      region: opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
      ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
    };
    quietNodeVersionNotice();
    this.client = opts.client ?? new S3Client(config);
  }

  private scratchDir(): string {
    this.scratch ??= mkdtempSync(join(tmpdir(), "hub-archive-s3-"));
    return this.scratch;
  }

  async stagingPath(key: string): Promise<string> {
    const p = join(this.scratchDir(), key.replaceAll("/", "__"));
    return p;
  }

  async commitFile(key: string, stagedPath: string, sha256: string): Promise<void> {
    const upload = new Upload({
      client: this.client,
      partSize: MULTIPART_PART_SIZE,
      queueSize: 2,
      leavePartsOnError: false,
      params: {
        Bucket: this.opts.bucket,
        Key: key,
        Body: createReadStream(stagedPath),
        ContentType: "application/vnd.apache.parquet",
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: this.opts.kmsKeyId,
        Metadata: { sha256 },
      },
    });
    await upload.done();
    rmSync(stagedPath, { force: true });
  }

  async putText(key: string, text: string): Promise<void> {
    await new Upload({
      client: this.client,
      params: { Bucket: this.opts.bucket, Key: key, Body: text, ContentType: "application/json", ServerSideEncryption: "aws:kms", SSEKMSKeyId: this.opts.kmsKeyId },
    }).done();
  }

  private async get(key: string): Promise<Readable | null> {
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: key }));
      return r.Body as Readable;
    } catch (e) {
      if (e instanceof NoSuchKey || (e as { name?: string }).name === "NoSuchKey") return null;
      throw e;
    }
  }

  async getText(key: string): Promise<string | null> {
    const body = await this.get(key);
    if (!body) return null;
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.from(c as Uint8Array));
    return Buffer.concat(chunks).toString("utf8");
  }

  async fetch(key: string, scratchDir: string): Promise<string | null> {
    const body = await this.get(key);
    if (!body) return null;
    const p = join(scratchDir, key);
    mkdirSync(dirname(p), { recursive: true });
    await pipeline(body, createWriteStream(p));
    return p;
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    let token: string | undefined;
    do {
      const r = await this.client.send(new ListObjectsV2Command({ Bucket: this.opts.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of r.Contents ?? []) if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0 });
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Remove the local scratch folder; the client stays usable. */
  close(): void {
    if (this.scratch) rmSync(this.scratch, { recursive: true, force: true });
    this.scratch = null;
  }
}
