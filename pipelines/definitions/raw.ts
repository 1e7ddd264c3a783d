/**
 * Bronze: what arrives, as it arrived. Streams on these tables feed the task DAG. Both tables are
 * append-only: ingest never updates or deletes a landed row.
 */
import { col, type StreamDef, type TableDef } from "./types.ts";

export const SENSOR_READINGS: TableDef = {
  kind: "table",
  schema: "RAW",
  name: "SENSOR_READINGS",
  comment: "One row per sensor reading as delivered (MQTT, HTTP or file); metrics stay in the payload.",
  appendOnly: true,
  clusterBy: ["tenant_id", "sensor_type", "DATE_TRUNC('day', ts)"],
  columns: [
    col("tenant_id", "varchar", "tenant that owns the device", { nullable: false, cardinality: "low" }),
    col("site_id", "varchar", "factory site", { nullable: false, cardinality: "low" }),
    col("device_id", "varchar", "device (thing) id", { nullable: false, cardinality: "low" }),
    col("sensor_type", "varchar", "MACHINE | ENERGY | AIR_QUALITY", { nullable: false, cardinality: "low" }),
    col("ts", "timestamp", "reading time at the device, UTC", { nullable: false }),
    col("seq", "bigint", "device reading sequence number; duplicates share it", { nullable: false }),
    col("message_id", "varchar", "id of the message (batch) that carried the reading"),
    col("payload", "json", "the reading: {schema, metrics:{...}} plus any unknown fields", { nullable: false, cardinality: "high" }),
    col("channel", "varchar", "ingest channel (e.g. broker partition) the reading came through", { cardinality: "low" }),
    col("channel_offset", "bigint", "offset within the channel, committed with the row"),
    col("ingested_at", "timestamp", "time the row was committed", { nullable: false }),
    col("source", "varchar", "mqtt | http | file:<name>", { nullable: false, cardinality: "low" }),
  ],
};

export const JOB_SCANS: TableDef = {
  kind: "table",
  schema: "RAW",
  name: "JOB_SCANS",
  comment: "RFID / barcode scans of jobs at stations, event-driven.",
  appendOnly: true,
  clusterBy: ["tenant_id", "DATE_TRUNC('day', scan_ts)"],
  columns: [
    col("tenant_id", "varchar", "tenant", { nullable: false }),
    col("site_id", "varchar", "factory site", { nullable: false }),
    col("job_id", "varchar", "job (work order) id", { nullable: false }),
    col("product_id", "varchar", "product"),
    col("product_variant", "varchar", "product variant"),
    col("station", "varchar", "station where the job was scanned", { nullable: false }),
    col("scan_ts", "timestamp", "scan time, UTC", { nullable: false }),
    col("operator_id", "varchar", "operator badge id (personal data, masked)", { pii: true }),
    col("metadata", "json", "anything else the scanner sent"),
    col("ingested_at", "timestamp", "time the row was committed", { nullable: false }),
    col("source", "varchar", "mqtt | http | file:<name>", { nullable: false }),
  ],
};

export const QUARANTINE: TableDef = {
  kind: "table",
  schema: "RAW",
  name: "QUARANTINE",
  comment: "Everything refused, with the reason; nothing is dropped silently.",
  appendOnly: true,
  columns: [
    col("tenant_id", "varchar", "tenant, when it could be told"),
    col("source", "varchar", "where it was refused: mqtt, http, file:<name>, validate", { nullable: false }),
    col("received_at", "timestamp", "when it was refused", { nullable: false }),
    col("reason", "varchar", "what is wrong, naming the field and the value", { nullable: false }),
    col("raw", "json", "the refused item as received"),
    col("device_id", "varchar", "device or job id, when it could be told"),
    col("metric", "varchar", "the metric refused, for metric-level rejections"),
  ],
};

export const SENSOR_READINGS_STREAM: StreamDef = {
  kind: "stream",
  schema: "RAW",
  name: "SENSOR_READINGS_STREAM",
  comment: "New readings for the validate task.",
  on: "RAW.SENSOR_READINGS",
  appendOnly: true,
};

export const JOB_SCANS_STREAM: StreamDef = {
  kind: "stream",
  schema: "RAW",
  name: "JOB_SCANS_STREAM",
  comment: "New scans for the validate task.",
  on: "RAW.JOB_SCANS",
  appendOnly: true,
};

/**
 * Where production delivery lands: the IoT rule sends each device message (a batch of readings)
 * through Firehose, whose Snowflake destination writes one row per message
 * (VARIANT_CONTENT_AND_METADATA_MAPPING). The EXPAND_DEVICE_MESSAGES task turns rows into readings.
 * The embedded ingest worker lands readings directly and does not need it.
 */
export const DEVICE_MESSAGES: TableDef = {
  kind: "table",
  schema: "RAW",
  name: "DEVICE_MESSAGES",
  comment: "Device messages as delivered by Firehose: one row per MQTT message, expanded by a task.",
  appendOnly: true,
  columns: [
    col("message", "json", "the message, plus `topic` added by the IoT rule", { nullable: false }),
    col("metadata", "json", "Firehose record metadata"),
  ],
};

export const DEVICE_MESSAGES_STREAM: StreamDef = {
  kind: "stream",
  schema: "RAW",
  name: "DEVICE_MESSAGES_STREAM",
  comment: "New device messages for the expand task.",
  on: "RAW.DEVICE_MESSAGES",
  appendOnly: true,
};
