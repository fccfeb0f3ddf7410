//! The demo seeds through the one store on a real PostgreSQL too (the SQLite case is the demo
//! module's own test), and refuses a database that holds it already.

use hadir_devtools::demo::{DemoOptions, seed, seeded, today_records};
use hadir_server::storage::{Store, TemplateKey};
use time::macros::datetime;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_seeds_and_shows_today_on_postgres() {
    let cluster = hadir_pg_cluster::TempCluster::start(false).unwrap_or_else(|e| panic!("cannot start PostgreSQL for the test: {e}"));
    let url = cluster.create_database("demo").await.expect("create database");
    let store = Store::connect_postgres(&url).await.expect("connect").with_template_key(TemplateKey::from_bytes([7; 32]));
    store.migrate(&hadir_server::migrations()).await.expect("migrate");
    let now = datetime!(2026-11-27 03:00 UTC); // a Friday, 10:00 WIB
    let opts = DemoOptions { employees: 6, days: 3, ..Default::default() };
    let secrets = seed(&store, &opts, now).await.unwrap();
    assert_eq!(store.counts().await.unwrap().records, secrets.records as u64);
    assert!(seeded(&store).await.unwrap());
    assert_eq!(store.users().await.unwrap().len(), 3);
    assert_eq!(store.sections().await.unwrap().len(), 4);
    assert!(!today_records(&store, now, opts.utc_offset).await.unwrap().is_empty());
    assert!(seed(&store, &opts, now).await.is_err(), "seeds only a fresh database");
}
