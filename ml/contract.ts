/**
 * The ML contract (ARCHITECTURE.md, "ML contract"): what trainers take and give, shared by the local
 * trainers, the SageMaker target, the registry and the retraining flow. Output field names follow
 * Snowflake Cortex (FORECAST / DETECT_ANOMALIES) so either backend fills the same ML tables.
 */

/** One point of a fixed-frequency series; `value` may be NaN where the source had no data. */
export interface SeriesPoint {
  readonly ts: Date;
  readonly value: number;
}

/** A fixed-frequency series `(tenant, series_id, ts, value)`, sorted by ts. */
export interface Series {
  readonly tenantId: string;
  /** e.g. `utilization:acme-plant-1-m-001` or `aqi:acme-plant-1-aq-002`. */
  readonly seriesId: string;
  /** Step between points in ms (3_600_000 for hourly). */
  readonly stepMs: number;
  readonly points: readonly SeriesPoint[];
}

/** Cortex FORECAST output. */
export interface ForecastRow {
  readonly ts: Date;
  readonly forecast: number;
  readonly lower_bound: number;
  readonly upper_bound: number;
}

/** Cortex DETECT_ANOMALIES output. */
export interface AnomalyRow {
  readonly ts: Date;
  readonly y: number;
  readonly forecast: number;
  readonly lower_bound: number;
  readonly upper_bound: number;
  readonly is_anomaly: boolean;
  /** Where y falls in the predictive distribution, 0..1. */
  readonly percentile: number;
  /** Distance from the forecast in units of the predictive spread (a z-score-like figure). */
  readonly distance: number;
}

/** A fitted forecaster: serialisable, so the registry can store and reload it. */
export interface ForecastModel {
  readonly algorithm: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** The ts of the last training point; forecasts start one step after it. */
  readonly trainedUntil: Date;
  /** `horizon` steps after `trainedUntil` (or after `history`'s last point when given); `level` is the interval coverage, default 0.95. */
  forecast(horizon: number, options?: { level?: number; history?: Series }): ForecastRow[];
  toJSON(): unknown;
}

export interface Forecaster {
  readonly algorithm: string;
  fit(train: Series): ForecastModel;
}

/** A fitted anomaly detector on the Cortex contract: forecast the period, flag what falls outside the interval. */
export interface AnomalyModel {
  readonly algorithm: string;
  readonly params: Readonly<Record<string, unknown>>;
  detect(series: Series): AnomalyRow[];
  toJSON(): unknown;
}

/** Scores each point as it arrives, in bounded memory (e.g. a random cut forest). */
export interface StreamingDetector {
  readonly algorithm: string;
  /** Score one point (a feature vector, e.g. [spindle_load, temperature]); higher is more anomalous. */
  update(point: readonly number[]): { score: number; isAnomaly: boolean };
  toJSON(): unknown;
}

export interface Segmentation {
  readonly algorithm: "kmeans++";
  readonly k: number;
  readonly silhouette: number;
  readonly centroids: readonly (readonly number[])[];
  readonly features: readonly string[];
  readonly assignments: ReadonlyArray<{ readonly id: string; readonly segment: number }>;
}

/** Why a series cannot be trained on, with the series named: too short, gaps, NaNs or constant. */
export class SeriesError extends Error {
  constructor(
    readonly code: "TOO_SHORT" | "GAPS" | "NON_FINITE" | "CONSTANT" | "UNSORTED",
    readonly seriesId: string,
    message: string,
  ) {
    super(`series ${seriesId}: ${message}`);
    this.name = "SeriesError";
  }
}

/** A model's figures on held-back data; lower is better for errors, higher for f1/silhouette. */
export type Metrics = Readonly<Record<string, number>>;

export type ModelKind = "forecast" | "anomaly" | "segments";
export type ApprovalStatus = "Approved" | "Rejected" | "PendingManualApproval";

/** A registry record: the same fields on the local registry and in a SageMaker model package. */
export interface ModelRecord {
  readonly tenantId: string;
  readonly model: ModelKind;
  readonly version: number;
  readonly algorithm: string;
  readonly parameters: Readonly<Record<string, unknown>>;
  readonly trainingWindow: { readonly from: string; readonly to: string };
  readonly rowCount: number;
  /** sha256 of the training data in a canonical form. */
  readonly dataHash: string;
  /** git commit (or package version) of the code that trained it. */
  readonly codeVersion: string;
  readonly metrics: Metrics;
  readonly baselineMetrics: Metrics;
  readonly approvalStatus: ApprovalStatus;
  readonly reason: string;
  readonly createdAt: string;
}
