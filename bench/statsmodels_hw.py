"""statsmodels' Holt-Winters on the bench's demand panel (issue 24, part 2): the reference the
issue's figures came from, measured in the same run as our forecaster.

Usage: /usr/bin/python3 bench/statsmodels_hw.py <panel.json>
Input (written by bench/statsmodelsReference.ts):
  {"season": 168, "horizon": 24, "dayStep": 24, "weekSteps": 168, "weeks": 4,
   "series": [{"id": "...", "values": [...]}, ...]}
Output (stdout, one JSON object):
  {"statsmodels": "0.13.5", "variants": {"<name>": {"series": [{"id", "forecasts": [...],
   "fitCpuSeconds", "forecastCpuSeconds", "fitWallSeconds", "forecastWallSeconds"}]}}}

Protocol, the same as the TypeScript side (bench/ml.bench.ts, demandFigures): for each of the last
`weeks` weeks, fit on everything before the week's first hour, then forecast `horizon` hours from
the start of each of its days with the week's fitted parameters run over the history observed up to
that day (statsmodels' "known" initialisation with the fitted initial states, optimized=False:
the smoothing is re-run, nothing is re-estimated, as our model's `forecast(history)` does).

Settings, pinned to statsmodels 0.13.5's documented API
(https://www.statsmodels.org/v0.13.5/generated/statsmodels.tsa.holtwinters.ExponentialSmoothing.html):
ExponentialSmoothing(endog, trend=None, seasonal="add", seasonal_periods=168,
initialization_method="estimated") and .fit() with its defaults (L-BFGS-B, use_brute=True,
optimized=True). These are statsmodels' defaults but for the season, as the issue's figures were
measured; no trend, because an additive trend runs away over a day ahead (ARCHITECTURE.md, "ML
contract"). Variants:
  additive  Holt-Winters on y
  log1p     Holt-Winters on log1p(y), forecasts expm1(.) (the issue's "best", MASE 0.635)
Deterministic: L-BFGS-B from a brute-force grid has no random state.
Timing: around the fits and around the forecasts only, so Python's start-up and imports are not
counted against statsmodels; CPU time of the process (time.process_time, all threads: BLAS's too)
and wall time (time.perf_counter). The machine is shared: CPU time is what other processes disturb
least.
"""
import json
import sys
import time
import warnings

import numpy as np
import statsmodels
from statsmodels.tsa.holtwinters import ExponentialSmoothing

VARIANTS = {
    # name: (to model scale, back to the data's scale)
    "additive": (lambda y: y, lambda f: f),
    "log1p": (np.log1p, np.expm1),
}


def run_variant(values, spec, to_model, from_model):
    season, horizon, day, week, weeks = (spec[k] for k in ("season", "horizon", "dayStep", "weekSteps", "weeks"))
    y = to_model(np.asarray(values, dtype=float))
    first = len(y) - weeks * week
    forecasts, fit, fc = [], [0.0, 0.0], [0.0, 0.0]

    def clocks():
        return time.process_time(), time.perf_counter()

    def add(acc, t):
        c, w = clocks()
        acc[0] += c - t[0]
        acc[1] += w - t[1]

    for w in range(weeks):
        origin = first + w * week
        t = clocks()
        res = ExponentialSmoothing(
            y[:origin], trend=None, seasonal="add", seasonal_periods=season, initialization_method="estimated"
        ).fit()
        add(fit, t)
        p = res.params
        t = clocks()
        for d in range(week // day):
            upto = origin + d * day
            day_res = ExponentialSmoothing(
                y[:upto], trend=None, seasonal="add", seasonal_periods=season, initialization_method="known",
                initial_level=p["initial_level"], initial_seasonal=p["initial_seasons"],
            ).fit(smoothing_level=p["smoothing_level"], smoothing_seasonal=p["smoothing_seasonal"], optimized=False)
            forecasts.extend(from_model(np.asarray(day_res.forecast(horizon))).tolist())
        add(fc, t)
    return {
        "forecasts": forecasts,
        "fitCpuSeconds": fit[0], "forecastCpuSeconds": fc[0],
        "fitWallSeconds": fit[1], "forecastWallSeconds": fc[1],
    }


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    out = {"statsmodels": statsmodels.__version__, "variants": {}}
    # ConvergenceWarning and friends go to stderr otherwise; the figures say what was fitted.
    warnings.simplefilter("ignore")
    for name, (to_model, from_model) in VARIANTS.items():
        rows = []
        for s in spec["series"]:
            r = run_variant(s["values"], spec, to_model, from_model)
            rows.append({"id": s["id"], **r})
        out["variants"][name] = {"series": rows}
    # allow_nan=False: a NaN forecast fails here, loudly, instead of writing a token JSON lacks.
    json.dump(out, sys.stdout, allow_nan=False)


if __name__ == "__main__":
    main()
