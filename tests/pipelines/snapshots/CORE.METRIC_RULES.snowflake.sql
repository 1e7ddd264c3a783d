-- CORE.METRIC_RULES 1/2 create; revert: DROP TABLE IF EXISTS CORE.METRIC_RULES
CREATE OR REPLACE TABLE CORE.METRIC_RULES (
  sensor_type VARCHAR NOT NULL COMMENT 'sensor type',
  metric VARCHAR NOT NULL COMMENT 'metric key in payload.metrics',
  kind VARCHAR NOT NULL COMMENT 'number | text',
  unit VARCHAR COMMENT 'unit of a numeric metric',
  min_value FLOAT COMMENT 'below: quarantined',
  max_value FLOAT COMMENT 'above: quarantined',
  min_text VARCHAR COMMENT 'min_value as reasons show it (JavaScript''s number text, as the ingest writes it)',
  max_text VARCHAR COMMENT 'max_value as reasons show it',
  soft_min FLOAT COMMENT 'below: kept with a lower quality score',
  soft_max FLOAT COMMENT 'above: kept with a lower quality score',
  allowed_values VARCHAR COMMENT '|-separated values of a text metric',
  required BOOLEAN NOT NULL COMMENT 'the payload schema requires it'
)
COMMENT = 'The metric catalogue per sensor type, with hard and soft ranges (from pipelines/quality/metricRules.ts).';

-- CORE.METRIC_RULES 2/2 seed
INSERT INTO CORE.METRIC_RULES (sensor_type, metric, kind, unit, min_value, max_value, min_text, max_text, soft_min, soft_max, allowed_values, required) VALUES
  ('MACHINE', 'state', 'text', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'RUNNING|IDLE|SETUP|DOWN', TRUE),
  ('MACHINE', 'period_s', 'number', 's', 0.001, 3600, '0.001', '3600', 0.5, 60, NULL, TRUE),
  ('MACHINE', 'cycles', 'number', 'count', 0, 10000, '0', '10000', 0, 10, NULL, FALSE),
  ('MACHINE', 'good_parts', 'number', 'count', 0, 10000, '0', '10000', 0, 10, NULL, FALSE),
  ('MACHINE', 'ideal_cycle_s', 'number', 's', 0.01, 86400, '0.01', '86400', 1, 3600, NULL, FALSE),
  ('MACHINE', 'cycle_count', 'number', 'count', 0, 1000000000000000, '0', '1000000000000000', 0, 1000000000000, NULL, FALSE),
  ('MACHINE', 'spindle_load_pct', 'number', '%', 0, 200, '0', '200', 0, 110, NULL, FALSE),
  ('MACHINE', 'spindle_speed_rpm', 'number', 'rpm', 0, 60000, '0', '60000', 0, 30000, NULL, FALSE),
  ('MACHINE', 'temperature_c', 'number', '°C', -40, 250, '-40', '250', 0, 120, NULL, FALSE),
  ('ENERGY', 'period_s', 'number', 's', 0.001, 3600, '0.001', '3600', 1, 300, NULL, TRUE),
  ('ENERGY', 'voltage_v', 'number', 'V', 0, 1000, '0', '1000', 180, 500, NULL, TRUE),
  ('ENERGY', 'current_a', 'number', 'A', 0, 10000, '0', '10000', 0, 2000, NULL, TRUE),
  ('ENERGY', 'power_factor', 'number', '', 0, 1, '0', '1', 0.5, 1, NULL, TRUE),
  ('ENERGY', 'power_kw', 'number', 'kW', 0, 100000, '0', '100000', 0, 5000, NULL, TRUE),
  ('ENERGY', 'kwh', 'number', 'kWh', 0, 100000, '0', '100000', 0, 500, NULL, TRUE),
  ('ENERGY', 'energy_kwh_total', 'number', 'kWh', 0, 1000000000000000, '0', '1000000000000000', 0, 1000000000000, NULL, FALSE),
  ('AIR_QUALITY', 'period_s', 'number', 's', 0.001, 3600, '0.001', '3600', 10, 900, NULL, TRUE),
  ('AIR_QUALITY', 'co2_ppm', 'number', 'ppm', 0, 40000, '0', '40000', 350, 5000, NULL, TRUE),
  ('AIR_QUALITY', 'voc_ppb', 'number', 'ppb', 0, 60000, '0', '60000', 0, 10000, NULL, FALSE),
  ('AIR_QUALITY', 'pm1_ugm3', 'number', 'µg/m³', 0, 1000, '0', '1000', 0, 500, NULL, FALSE),
  ('AIR_QUALITY', 'pm25_ugm3', 'number', 'µg/m³', 0, 1000, '0', '1000', 0, 500, NULL, TRUE),
  ('AIR_QUALITY', 'pm4_ugm3', 'number', 'µg/m³', 0, 1000, '0', '1000', 0, 500, NULL, FALSE),
  ('AIR_QUALITY', 'pm10_ugm3', 'number', 'µg/m³', 0, 2000, '0', '2000', 0, 600, NULL, FALSE),
  ('AIR_QUALITY', 'temperature_c', 'number', '°C', -40, 85, '-40', '85', 5, 40, NULL, FALSE),
  ('AIR_QUALITY', 'humidity_pct', 'number', '%', 0, 100, '0', '100', 10, 90, NULL, FALSE),
  ('AIR_QUALITY', 'pressure_hpa', 'number', 'hPa', 300, 1100, '300', '1100', 900, 1080, NULL, FALSE);
