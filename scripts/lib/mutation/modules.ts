/**
 * The core modules under mutation testing (issue 26, §3): each is the source it mutates and the
 * test files that must kill its mutants. A module may have several parts, each one Stryker run
 * whose mutants only the part's tests run against, so a mutant of the ingest half of the metric
 * rules is not tested by starting a warehouse. A `file:from-to` entry mutates those lines only
 * (Stryker's mutation range): the core of a larger file, not its plumbing.
 *
 * Time budgets are for this project's 2-core machine at concurrency 2; a part that runs past its
 * budget is stopped and reported as such (scripts/mutate.ts).
 */
export interface MutationPart {
  /** Files (or `file:line-line` ranges) whose mutants this part runs. */
  readonly mutate: readonly string[];
  /** node:test files run against each mutant; a mutant is killed when any test fails. */
  readonly tests: readonly string[];
  /** Wall-clock bound for the whole part, dry run included. */
  readonly budgetMinutes: number;
}

export interface MutationModule {
  readonly name: string;
  readonly description: string;
  readonly parts: readonly MutationPart[];
}

export const MUTATION_MODULES: readonly MutationModule[] = [
  {
    name: "gate",
    description: "the promotion gate: candidate against champion and the naive baseline (ml/gate.ts)",
    parts: [{ mutate: ["ml/gate.ts"], tests: ["tests/ml/registryGate.test.ts"], budgetMinutes: 10 }],
  },
  {
    name: "topic-rules",
    description: "the MQTT topic grammar and the per-device publish and subscribe rules (edge/topicRules.ts)",
    parts: [{ mutate: ["edge/topicRules.ts"], tests: ["tests/edge/topicRules.test.ts"], budgetMinutes: 10 }],
  },
  {
    name: "channel-landing",
    description: "landing a channel's micro-batches exactly once: committed offsets, dedup window, ledger, rollback (channelLanding.ts)",
    parts: [{ mutate: ["pipelines/ingest/channelLanding.ts"], tests: ["tests/edge/channelLanding.test.ts"], budgetMinutes: 20 }],
  },
  {
    name: "cost-allocation",
    description: "credits split per tenant by query time, idle hours by the period's share (costQueries.usageSql, buildCostReport's split)",
    parts: [
      {
        mutate: ["pipelines/cost/costQueries.ts:15-62", "pipelines/cost/costReport.ts:131-161"],
        tests: ["tests/pipelines/costAllocation.test.ts", "tests/pipelines/costReport.test.ts"],
        budgetMinutes: 20,
      },
    ],
  },
  {
    name: "metric-rules",
    description: "the metric rules, both halves: the ingest's compiled check and the warehouse's validation SQL and value text",
    parts: [
      // The compiled check alone (about 3 s a mutant; payloadSchemas.test.ts's seeded corpus takes 20 s).
      { mutate: ["pipelines/quality/compiledReadingCheck.ts"], tests: ["tests/pipelines/compiledReadingCheck.test.ts"], budgetMinutes: 40 },
      { mutate: ["pipelines/quality/validationSql.ts"], tests: ["tests/pipelines/metricBoundaries.test.ts"], budgetMinutes: 30 },
      { mutate: ["pipelines/quality/valueTextSql.ts"], tests: ["tests/pipelines/valueText.test.ts"], budgetMinutes: 8 },
    ],
  },
  {
    name: "billing",
    description: "the billing twin (per-second billing, the minimum, the cloud-services cap) and resource monitors",
    parts: [
      {
        mutate: ["pipelines/engine/billingTwin.ts", "pipelines/engine/resourceMonitors.ts"],
        // The rules by hand, without an engine (about 3 s a mutant; billingTwin.test.ts opens engines, 20 s).
        tests: ["tests/pipelines/billingRules.test.ts"],
        budgetMinutes: 45,
      },
    ],
  },
  {
    name: "tenant-guard",
    description: "the tenant guard (what a tenant statement may read) and the secure catalog tenant sessions see",
    parts: [
      // The guard alone, on DuckDB's parser without a hub (about 2 s a mutant; tenantSql.test.ts builds a hub, 13 s).
      { mutate: ["pipelines/warehouse/tenantGuard.ts"], tests: ["tests/security/tenantGuard.test.ts"], budgetMinutes: 45 },
      {
        // grantScope to TENANT_READABLE, and secureCatalogStatements: line ranges follow edits to those files.
        mutate: ["pipelines/definitions/grants.ts:64-90", "pipelines/render/duckdbDdl.ts:205-236"],
        // Rendered into a bare DuckDB for objects defined by hand (tenantReach.test.ts builds a hub per run).
        tests: ["tests/security/secureCatalog.test.ts"],
        budgetMinutes: 30,
      },
    ],
  },
  {
    name: "archive-watermarks",
    description: "incremental export between watermarks, and the watermarks' commit after the manifest (exportArchive.ts)",
    parts: [
      {
        mutate: ["pipelines/archive/exportArchive.ts:186-214", "pipelines/archive/exportArchive.ts:293-326"],
        // A handful of rows by hand on one small engine (exportRestore.test.ts builds a two-hour factory).
        tests: ["tests/archive/archiveWatermarks.test.ts"],
        budgetMinutes: 45,
      },
    ],
  },
];
