//! The device API through the real HTTP stack (axum on 127.0.0.1:0, reqwest client), against
//! SQLite and against a real PostgreSQL cluster started for the test.

mod harness;
mod proxy;
mod scenarios;

use hadir_server::storage::Store;
use hadir_server::storage::pg_cluster::TempCluster;

fn sqlite() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open_sqlite(&dir.path().join("hadir.db")).expect("open sqlite");
    (dir, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_refusals_are_named_and_valid_records_stored() {
    let (_dir, store) = sqlite();
    scenarios::refusals_are_named_and_valid_records_stored(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_enrolment_roster_and_evidence() {
    let (_dir, store) = sqlite();
    scenarios::enrolment_roster_and_evidence(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_client_drains_and_parks() {
    let (_dir, store) = sqlite();
    scenarios::client_drains_and_parks(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_cut_connections_100_times_leave_exactly_one_copy() {
    let (_dir, store) = sqlite();
    proxy::cut_connections_leave_exactly_one_copy(store, 100).await;
}

/// One cluster for all PostgreSQL scenarios (start-up costs seconds), one database each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_all_scenarios() {
    let cluster = TempCluster::start(false).unwrap_or_else(|e| panic!("cannot start PostgreSQL for the test: {e}"));
    let open = |name: &'static str| {
        let cluster = &cluster;
        async move {
            let url = cluster.create_database(name).await.expect("create database");
            Store::connect_postgres(&url).await.expect("connect")
        }
    };
    scenarios::refusals_are_named_and_valid_records_stored(open("refusals").await).await;
    scenarios::enrolment_roster_and_evidence(open("roster").await).await;
    scenarios::client_drains_and_parks(open("drain").await).await;
    proxy::cut_connections_leave_exactly_one_copy(open("cuts").await, 100).await;
}
