-- Glovebox local schema, version 4: one view over every odometer reading.
--
-- Fill-ups, service records with a reading and odometer records all say "the odometer
-- showed X at time T". The current odometer, the typo guard's neighbours and the
-- distance-per-month chart read them as one set; this view is that set, written once
-- instead of as a hand-written UNION in every query. SQLite flattens it into each
-- query as a MERGE of three per-vehicle index ranges (see store/readings.rs), so it costs
-- what the hand-written UNIONs did.
CREATE VIEW readings (vehicle_id, occurred_at, odometer, id) AS
    SELECT vehicle_id, occurred_at, odometer, id FROM fuel_records WHERE deleted = 0
    UNION ALL
    SELECT vehicle_id, occurred_at, odometer, id FROM service_records
        WHERE deleted = 0 AND odometer IS NOT NULL
    UNION ALL
    SELECT vehicle_id, occurred_at, odometer, id FROM odometer_records WHERE deleted = 0;
