/** Evaluation: holdout split, forecast metrics, event-level anomaly scoring, silhouette. */
export { timeHoldout, type Holdout } from "./holdout.ts";
export { mae, rmse, mase, smape, seasonalNaiveScale, intervalCoverage } from "./forecastMetrics.ts";
export { scoreEvents, scoreEventsPerDevice, sumEventScores, type DeviceFlag, type DeviceWindow, type EventScore, type Window } from "./eventScore.ts";
export { silhouette } from "./silhouette.ts";
export { evaluateForecaster, type ForecastEvaluation } from "./evaluateForecaster.ts";
