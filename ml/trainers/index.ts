/** Trainers: forecaster, naive baseline, anomaly detector, streaming detector, segmentation; loaders rebuild each from its JSON. */
import type { ForecastModel } from "../contract.ts";
import { SEASONAL_NAIVE, loadSeasonalNaiveModel, type SeasonalNaiveJSON } from "./seasonalNaive.ts";
import { SEASONAL_PROFILE, loadSeasonalProfileModel, type SeasonalProfileJSON } from "./seasonalProfile.ts";
import { HOLT_WINTERS, loadHoltWintersModel, type HoltWintersJSON } from "./holtWinters.ts";

export { SeasonalProfileForecaster, SeasonalProfileModel, SEASONAL_PROFILE, type SeasonalProfileJSON, type SeasonalProfileOptions, type ProfileConfig } from "./seasonalProfile.ts";
export { HoltWintersForecaster, HoltWintersModel, HOLT_WINTERS, type HoltWintersJSON } from "./holtWinters.ts";
export { SeasonalNaiveForecaster, SeasonalNaiveModel, SEASONAL_NAIVE, type NaivePeriod, type SeasonalNaiveJSON } from "./seasonalNaive.ts";
export { ForecastAnomalyDetector, ForecastAnomalyModel, FORECAST_ANOMALY, DEFAULT_ANOMALY_LEVEL, DEFAULT_CUSUM_ALLOWANCE, DEFAULT_CUSUM_THRESHOLD, CUSUM_CLIP, DEFAULT_RECORD_FACTOR, DEFAULT_MEMORY_DAYS, DEFAULT_OUTLIER_DAYS, DEFAULT_FLAG_CAP, DEFAULT_WEEKLY_CYCLES, MIN_DAYS_FOR_OUTLIERS, withoutOutlierDays, loadAnomalyModel, type AnomalyDetectorOptions, type ForecastAnomalyJSON } from "./forecastAnomalyDetector.ts";
export { RandomCutForest, RANDOM_CUT_FOREST, loadStreamingDetector, type RandomCutForestOptions, type RandomCutForestJSON } from "./randomCutForest.ts";
export { DwellTimeDetector, DwellTimeModel, DwellStays, DWELL_TIME, DEFAULT_DWELL_LEVEL, DEFAULT_FLAG_STATES, DEFAULT_MIN_STAYS, DEFAULT_MAX_GAP_MS, fitStateTail, survival, tailThreshold, loadDwellTimeModel, type DwellTimeOptions, type DwellTimeJSON, type DwellScore, type StateTailJSON, type StateRun } from "./dwellTimeDetector.ts";
export { segmentMachines, loadSegmentation, type SegmentInput, type KMeansOptions, type SegmentationModel, type SegmentationJSON } from "./kmeans.ts";
export { checkSeries, makeSeries, seasonLengths, type CheckedSeries, type SeriesCheckOptions } from "../series.ts";

/** Rebuilds any forecaster's model from its `toJSON()` (the registry stores that JSON). */
export function loadForecastModel(json: unknown): ForecastModel {
  const algorithm = (json as { algorithm?: unknown } | null)?.algorithm;
  if (algorithm === SEASONAL_PROFILE) return loadSeasonalProfileModel(json as SeasonalProfileJSON);
  if (algorithm === SEASONAL_NAIVE) return loadSeasonalNaiveModel(json as SeasonalNaiveJSON);
  if (algorithm === HOLT_WINTERS) return loadHoltWintersModel(json as HoltWintersJSON);
  throw new Error(`loadForecastModel: unknown algorithm ${JSON.stringify(algorithm)}`);
}
