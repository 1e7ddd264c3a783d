-- RAW.DEVICE_MESSAGES 1/1 create; revert: DROP TABLE IF EXISTS RAW.DEVICE_MESSAGES
CREATE TABLE IF NOT EXISTS RAW.DEVICE_MESSAGES (
  message VARIANT NOT NULL COMMENT 'the message, plus `topic` added by the IoT rule',
  metadata VARIANT COMMENT 'Firehose record metadata'
)
CHANGE_TRACKING = TRUE
COMMENT = 'Device messages as delivered by Firehose: one row per MQTT message, expanded by a task.';
