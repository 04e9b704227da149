-- Glovebox local schema, version 6: readings answered from indexes alone.
--
-- The dashboard's distance-per-month chart asks the readings view (0004) for every
-- reading of the last twelve months (by date, with its odometer) and for the highest
-- reading before them (by odometer, with its date). With only the key columns indexed,
-- each of those rows cost a second descent into its table; with the other column in the
-- index they are range scans and nothing else.
DROP INDEX fuel_by_vehicle_date;
CREATE INDEX fuel_by_vehicle_date ON fuel_records (vehicle_id, occurred_at, id, odometer)
    WHERE deleted = 0;
DROP INDEX odometer_by_vehicle_date;
CREATE INDEX odometer_by_vehicle_date ON odometer_records (vehicle_id, occurred_at, id, odometer)
    WHERE deleted = 0;
DROP INDEX odometer_by_vehicle_odometer;
CREATE INDEX odometer_by_vehicle_odometer ON odometer_records (vehicle_id, odometer, occurred_at)
    WHERE deleted = 0;
DROP INDEX service_by_vehicle_odometer;
CREATE INDEX service_by_vehicle_odometer ON service_records (vehicle_id, odometer, occurred_at)
    WHERE deleted = 0;
