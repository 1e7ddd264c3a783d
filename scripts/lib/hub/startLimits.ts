/**
 * npm start's defaults and bounds, apart from the job they bound: start.ts checks its flags with
 * these before it loads the main job (DuckDB, the broker, the trainers), so a mistyped flag or
 * --help answers at once and touches nothing.
 */

/** npm start's history: four weeks, the retraining window (ml/retrainFlow.ts windowDays 28). */
export const DEFAULT_HISTORY_DAYS = 28;
/** The most history npm start makes (a quarter: the gate holds back at most a week anyway). */
export const MAX_HISTORY_DAYS = 92;

/**
 * npm start's step. Each step costs ~1 s of CPU here beside its data: the fixed part of the tick's
 * task runs (~0.15 s with nothing to judge) and refreshes, and the ingest's batch commits, which
 * end with the step. So fewer, larger steps run the day faster, until the first publish and the
 * last tick, which nothing overlaps, grow more than the steps save. Back to back on 2026-11-22
 * (same day, same summary, bills included): 60 → 120 minutes took the default day from 50.9 /
 * 56.3 / 68.5 s to 44.3 / 49.0 / 60.6 s and its CPU from 83.2 / 90.0 / 98.2 s to 70.6 / 78.8 /
 * 87.8 s; 180 and 240 minutes were no faster again (49.6 and 48.1 s).
 */
export const DEFAULT_STEP_MINUTES = 120;

/**
 * The largest step: a step's output is held in memory and in the gateway's queues at once
 * (~0.5 MB per device and simulated hour), and a larger one buys no more speed (above).
 */
export const MAX_STEP_MINUTES = 240;
