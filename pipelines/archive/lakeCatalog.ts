/**
 * The lake's catalogue (seed 001: the archive is queryable): one Glue table per archived table,
 * its columns from the very definitions the export writes the Parquet from (ARCHIVED_TABLES'
 * columns, in the export's column order), its partitions (`tenant=/year=/month=/day=`, the keys
 * `archiveKeys.ts` writes) found by partition projection rather than crawlers. Pure: the platform
 * stack declares these (infra/aws/platform.ts), tests/archive/lakeCatalog.test.ts holds them against
 * the Parquet an export really writes.
 */
import type { ColumnType } from "../dialect/index.ts";
import { ARCHIVED_TABLES, tableFolder, type ArchivedTable } from "./archivedTables.ts";

/** The Glue database of the lake. */
export const LAKE_DATABASE = "hub_lake";

/**
 * Hive/Athena types for the definitions' column types, as the Parquet holds them: the export
 * writes DuckDB's VARCHAR (low-cardinality ones as ENUM, a string in Parquet), JSON as a string,
 * TIMESTAMP as a timestamp without zone.
 */
export const GLUE_TYPES: Readonly<Record<ColumnType, string>> = {
  varchar: "string",
  json: "string",
  bigint: "bigint",
  double: "double",
  boolean: "boolean",
  timestamp: "timestamp",
  date: "date",
};

export interface LakeColumn {
  readonly name: string;
  readonly type: string;
  readonly comment: string;
}

export interface LakeTable {
  readonly archived: ArchivedTable;
  /** Glue table name: `<layer>_<schema>_<table>`, lower case (`bronze_raw_sensor_readings`). */
  readonly name: string;
  /** Prefix of the table's data under the bucket: `<layer>/<schema>.<table>/`. */
  readonly prefix: string;
  readonly columns: readonly LakeColumn[];
  /** Partition keys, in key order: tenant, year, month, day (all strings, as in the key). */
  readonly partitionKeys: readonly LakeColumn[];
  /** Table parameters: Parquet, and partition projection over the key layout. */
  readonly parameters: (bucket: string) => Record<string, string>;
}

/** The first year a partition may have, and the last (projection enumerates the range). */
export const PROJECTED_YEARS = { from: 2024, to: 2099 } as const;

export function lakeTable(t: ArchivedTable): LakeTable {
  const prefix = `${t.layer}/${tableFolder(t.table)}/`;
  return {
    archived: t,
    name: `${t.layer}_${tableFolder(t.table).replace(".", "_")}`,
    prefix,
    columns: t.columns.map((c) => ({ name: c.name, type: GLUE_TYPES[c.type], comment: c.comment })),
    partitionKeys: [
      { name: "tenant", type: "string", comment: "tenant id (tenant=<id>); injected: every query names its tenant" },
      { name: "year", type: "string", comment: "UTC year of the partition day" },
      { name: "month", type: "string", comment: "UTC month, two digits" },
      { name: "day", type: "string", comment: "UTC day, two digits" },
    ],
    // https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
    parameters: (bucket) => ({
      classification: "parquet",
      EXTERNAL: "TRUE",
      "projection.enabled": "true",
      // Injected: a query must say `WHERE tenant = '<id>'`; no tenant list to keep in step.
      "projection.tenant.type": "injected",
      "projection.year.type": "integer",
      "projection.year.range": `${PROJECTED_YEARS.from},${PROJECTED_YEARS.to}`,
      "projection.month.type": "integer",
      "projection.month.range": "1,12",
      "projection.month.digits": "2",
      "projection.day.type": "integer",
      "projection.day.range": "1,31",
      "projection.day.digits": "2",
      "storage.location.template": `s3://${bucket}/${prefix}tenant=\${tenant}/year=\${year}/month=\${month}/day=\${day}/`,
    }),
  };
}

export const LAKE_TABLES: readonly LakeTable[] = ARCHIVED_TABLES.map(lakeTable);

/** Where a tenant's Athena workgroup writes its results: under the tenant's own prefix. */
export function athenaResultsPrefix(tenantPrefix: string): string {
  return `${tenantPrefix}athena-results/`;
}
