/** The rows ingest lands in RAW: one per reading and one per scan, as the RAW tables define them. */
export interface RawReading {
  readonly tenantId: string;
  readonly siteId: string;
  readonly deviceId: string;
  readonly sensorType: string;
  readonly ts: Date;
  readonly seq: number;
  readonly messageId: string | null;
  /** `{ schema, metrics: {...} }` plus whatever else the device sent. */
  readonly payload: unknown;
  readonly channel: string | null;
  readonly channelOffset: number | null;
  readonly source: string;
}

export interface RawScan {
  readonly tenantId: string;
  readonly siteId: string;
  readonly jobId: string;
  readonly productId: string | null;
  readonly productVariant: string | null;
  readonly station: string;
  readonly scanTs: Date;
  readonly operatorId: string | null;
  readonly metadata: unknown;
  readonly source: string;
}

export interface QuarantineRecord {
  readonly tenantId: string | null;
  readonly source: string;
  readonly reason: string;
  readonly raw: unknown;
  readonly deviceId: string | null;
  readonly metric: string | null;
}
