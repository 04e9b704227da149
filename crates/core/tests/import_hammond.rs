//! Hammond's database: the schema GORM creates from akhilrex/hammond `db/dbModels.go`
//! (only the columns the importer reads, as GORM names and types them), filled by hand.
//! Expected figures by hand: Swift (km, litres, INR): fills 10 000 km 30 L ₹3 000.00
//! (full), 10 450 km 27 L ₹2 700.00 (full), a soft-deleted fill (ignored), 10 900 km
//! 30 L ₹3 150.00 (full) -> 900 km on 57 L = 6.3333 L/100 km, fuel ₹8 850.00; one expense
//! "Insurance" ₹12 000.50.

use std::sync::atomic::AtomicBool;

use glovebox_core::economy::{self, FillUp};
use glovebox_core::import::{self, FormatId, ImportOptions};
use glovebox_core::units::{DistanceUnit, EconomyUnit, VolumeUnit};
use glovebox_core::{Garage, Page};

const SCHEMA: &str = r#"
CREATE TABLE "users" ("id" text,"created_at" datetime,"updated_at" datetime,"deleted_at" datetime,"email" text UNIQUE,"password" text,"currency" text,"distance_unit" integer,"date_format" text,"role" integer,"name" text,"is_disabled" numeric,PRIMARY KEY ("id"));
CREATE TABLE "vehicles" ("id" text,"created_at" datetime,"updated_at" datetime,"deleted_at" datetime,"nickname" text,"registration" text,"make" text,"model" text,"year_of_manufacture" integer,"engine_size" real,"fuel_unit" integer,"fuel_type" integer,PRIMARY KEY ("id"));
CREATE TABLE "fillups" ("id" text,"created_at" datetime,"updated_at" datetime,"deleted_at" datetime,"vehicle_id" text,"fuel_unit" integer,"fuel_quantity" real,"per_unit_price" real,"total_amount" real,"odo_reading" integer,"is_tank_full" numeric,"has_missed_fillup" numeric,"comments" text,"filling_station" text,"user_id" text,"date" datetime,"currency" text,"distance_unit" integer,"source" text,"fuel_sub_type" text,PRIMARY KEY ("id"));
CREATE TABLE "expenses" ("id" text,"created_at" datetime,"updated_at" datetime,"deleted_at" datetime,"vehicle_id" text,"amount" real,"odo_reading" integer,"comments" text,"expense_type" text,"user_id" text,"date" datetime,"currency" text,"distance_unit" integer,"source" text,PRIMARY KEY ("id"));
INSERT INTO users VALUES ('u1','2021-01-01 00:00:00+00:00',NULL,NULL,'a@b.c','$2a$10$secrethash','INR',1,'DD/MM/YYYY',0,'A',0);
INSERT INTO vehicles VALUES ('v1','2021-01-01 00:00:00+00:00',NULL,NULL,'Swift','KA01AB1234','Maruti','Swift',2019,1.2,0,0);
INSERT INTO fillups VALUES ('f1','2021-02-01 00:00:00+00:00',NULL,NULL,'v1',0,30,100,3000,10000,1,0,'','HP','u1','2021-02-01 09:30:00+05:30','INR',1,'',NULL);
INSERT INTO fillups VALUES ('f2','2021-02-15 00:00:00+00:00',NULL,NULL,'v1',0,27,100,2700,10450,1,0,'weekend trip','IOCL','u1','2021-02-15 18:00:00+05:30','INR',1,'',NULL);
INSERT INTO fillups VALUES ('fx','2021-02-20 00:00:00+00:00',NULL,'2021-02-21 00:00:00+00:00','v1',0,99,100,9900,10500,1,0,'deleted','','u1','2021-02-20 10:00:00+05:30','INR',1,'',NULL);
INSERT INTO fillups VALUES ('f3','2021-03-01 00:00:00+00:00',NULL,NULL,'v1',0,30,105,3150,10900,1,0,'','HP','u1','2021-03-01 08:00:00+05:30','INR',1,'',NULL);
INSERT INTO expenses VALUES ('e1','2021-03-05 00:00:00+00:00',NULL,NULL,'v1',12000.5,10950,'yearly','Insurance','u1','2021-03-05 00:00:00+05:30','INR',1,'');
"#;

#[test]
fn a_hammond_database_imports_vehicles_fillups_and_expenses() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hammond.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(SCHEMA)
        .unwrap();
    let g = Garage::open(dir.path().join("g.db")).unwrap();
    let opts = ImportOptions::default();
    let p = import::preview(&g, &db, &opts).unwrap();
    assert_eq!(p.format, FormatId::Hammond);
    assert!(p.needs.is_empty(), "{:?}", p.needs);
    let r = import::commit(&g, &db, &opts, &|_| {}, &AtomicBool::new(false)).unwrap();
    let c = r.new_records;
    assert_eq!((c.vehicles, c.fuel, c.service), (1, 3, 1));
    let v = &g.vehicles(true).unwrap()[0];
    assert_eq!(v.name, "Swift");
    assert_eq!(v.distance_unit, DistanceUnit::Kilometre);
    assert_eq!(v.volume_unit, VolumeUnit::Litre);
    assert_eq!(v.currency.code(), "INR");
    let fuel = g.fuel_records(&v.id, Page::ALL).unwrap();
    assert_eq!(
        fuel.iter().map(|f| f.total_cost.minor).sum::<i64>(),
        885_000
    );
    let mut fills: Vec<FillUp> = fuel.iter().map(FillUp::from).collect();
    fills.reverse();
    let s = economy::compute(&fills, v.distance_unit, v.volume_unit);
    let l100 = s
        .average
        .unwrap()
        .value_in(EconomyUnit::LitresPer100Km)
        .unwrap();
    assert!((l100 - 57.0 / 9.0).abs() < 1e-9, "{l100}");
    let svc = g.service_records(&v.id, None, Page::ALL).unwrap();
    assert_eq!(svc[0].title, "Insurance");
    assert_eq!(svc[0].cost.minor, 1_200_050);
    // Wall-clock times as Hammond recorded them.
    assert_eq!(
        fuel.last().unwrap().occurred_at.to_string(),
        "2021-02-01 09:30:00"
    );
}
