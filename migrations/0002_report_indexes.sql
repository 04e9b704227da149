-- Glovebox local schema, version 2: indexes for reports.
--
-- The dashboard and the fuel report feed a vehicle's whole fill-up history to the economy
-- engine. With only (vehicle_id, odometer) indexed, each of those rows costs a second
-- b-tree descent into the table; this covering index holds every column the engine reads,
-- so the read is one contiguous range scan (about 3x faster on the fleet dataset; see
-- docs/BENCHMARKS.md).
CREATE INDEX fuel_economy_by_vehicle ON fuel_records
    (vehicle_id, odometer, occurred_at, is_full, quantity, total_cost, missed_previous, id)
    WHERE deleted = 0;

-- The covering index starts with (vehicle_id, odometer), so it serves every lookup the
-- narrower index did (current odometer, the typo guard); keeping both only made every
-- fill-up insert maintain one more b-tree.
DROP INDEX fuel_by_vehicle_odometer;
