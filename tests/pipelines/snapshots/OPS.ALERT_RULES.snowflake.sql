-- OPS.ALERT_RULES 1/2 create; revert: DROP TABLE IF EXISTS OPS.ALERT_RULES
CREATE OR REPLACE TABLE OPS.ALERT_RULES (
  rule_id VARCHAR NOT NULL COMMENT 'rule id',
  sensor_type VARCHAR NOT NULL COMMENT 'sensor type it applies to',
  metric VARCHAR NOT NULL COMMENT 'metric it watches',
  comparison VARCHAR NOT NULL COMMENT '> | < | =',
  threshold FLOAT COMMENT 'numeric threshold',
  match_text VARCHAR COMMENT 'text value that breaches (for =)',
  severity VARCHAR NOT NULL COMMENT 'INFO | WARNING | CRITICAL',
  description VARCHAR COMMENT 'what it means',
  min_duration_s FLOAT COMMENT 'seconds of consecutive breaching readings before an alert (NULL: at once); at most 3600, the alert task''s look-back'
)
COMMENT = 'Threshold rules the score task evaluates on every new metric.';

-- OPS.ALERT_RULES 2/2 seed
INSERT INTO OPS.ALERT_RULES (rule_id, sensor_type, metric, comparison, threshold, match_text, severity, description, min_duration_s) VALUES
  ('MACHINE_DOWN', 'MACHINE', 'state', '=', NULL, 'DOWN', 'CRITICAL', 'machine reports DOWN for 10 minutes', 600),
  ('SPINDLE_OVERLOAD', 'MACHINE', 'spindle_load_pct', '>', 110, NULL, 'WARNING', 'spindle load above 110 %', NULL),
  ('MACHINE_OVERTEMP', 'MACHINE', 'temperature_c', '>', 90, NULL, 'WARNING', 'machine temperature above 90 °C', NULL),
  ('LOW_POWER_FACTOR', 'ENERGY', 'power_factor', '<', 0.8, NULL, 'WARNING', 'power factor below 0.8', NULL),
  ('PM25_UNHEALTHY', 'AIR_QUALITY', 'pm25_ugm3', '>', 55.4, NULL, 'CRITICAL', 'PM2.5 in the EPA ''unhealthy'' band or worse', NULL),
  ('PM25_SENSITIVE', 'AIR_QUALITY', 'pm25_ugm3', '>', 35.4, NULL, 'WARNING', 'PM2.5 unhealthy for sensitive groups', NULL),
  ('CO2_HIGH', 'AIR_QUALITY', 'co2_ppm', '>', 1500, NULL, 'WARNING', 'CO2 above 1500 ppm: ventilate', NULL);
