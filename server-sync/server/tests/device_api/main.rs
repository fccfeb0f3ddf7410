//! The device API through the real HTTP stack (axum on 127.0.0.1:0, reqwest client), against
//! SQLite and against a real PostgreSQL cluster started for the test.

mod attacks;
mod harness;
mod health;
mod parked;
mod proxy;
mod scenarios;
mod templates;
mod watermark;

use hadir_server::storage::Store;
use hadir_pg_cluster::TempCluster;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_kiosk_template_reaches_the_site() {
    let (_dir, store) = sqlite();
    templates::kiosk_template_reaches_the_site(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_clear_templates_are_sealed_and_the_key_is_checked() {
    templates::sqlite_clear_templates_are_sealed_and_the_key_is_checked().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_watermark_follows_drained_outboxes() {
    let (_dir, store) = sqlite();
    watermark::watermark_follows_drained_outboxes(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_refused_uploads_are_kept() {
    let (_dir, store) = sqlite();
    watermark::refused_uploads_are_kept(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_parked_records_are_requeued_after_enrolment() {
    let (_dir, store) = sqlite();
    parked::parked_records_are_requeued_after_enrolment(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_health_reports_and_tamper_events() {
    let (_dir, store) = sqlite();
    health::health_reports_and_tamper_events(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_mixed_order_signature_is_refused() {
    let (_dir, store) = sqlite();
    attacks::mixed_order_signature_is_refused(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_doubtful_records_wait_for_a_supervisor() {
    let (_dir, store) = sqlite();
    attacks::doubtful_records_wait_for_a_supervisor(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_each_site_keeps_its_own_zone() {
    let (_dir, store) = sqlite();
    attacks::each_site_keeps_its_own_zone(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_8_mib_malformed_batch_is_answered_briefly() {
    let (_dir, store) = sqlite();
    attacks::an_8_mib_malformed_batch_is_answered_briefly(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_record_into_a_closed_month_waits_in_quarantine() {
    let (_dir, store) = sqlite();
    attacks::a_record_into_a_closed_month_waits_in_quarantine(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_stranger_refused_again_and_again_is_throttled() {
    let (_dir, store) = sqlite();
    attacks::a_stranger_refused_again_and_again_is_throttled(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_teleport_and_a_replayed_position_are_flagged() {
    let (_dir, store) = sqlite();
    attacks::a_teleport_and_a_replayed_position_are_flagged(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_both_record_formats_keep_what_the_receiver_said() {
    let (_dir, store) = sqlite();
    attacks::both_record_formats_keep_what_the_receiver_said(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_report_cache_follows_uploads_and_decisions() {
    let (_dir, store) = sqlite();
    scenarios::the_report_cache_follows_uploads_and_decisions(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_stranger_cannot_tell_devices_apart() {
    let (_dir, store) = sqlite();
    attacks::a_stranger_cannot_tell_devices_apart(store).await;
}

/// One cluster for all PostgreSQL scenarios (start-up costs seconds), one database each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_all_scenarios() {
    let cluster = TempCluster::start(false).unwrap_or_else(|e| panic!("cannot start PostgreSQL for the test: {e}"));
    let open = |name: &'static str| {
        let cluster = &cluster;
        async move {
            let url = cluster.create_database(name).await.expect("create database");
            let key = hadir_server::storage::TemplateKey::from_bytes([name.len() as u8; 32]);
            Store::connect_postgres(&url).await.expect("connect").with_template_key(key)
        }
    };
    scenarios::refusals_are_named_and_valid_records_stored(open("refusals").await).await;
    scenarios::enrolment_roster_and_evidence(open("roster").await).await;
    scenarios::client_drains_and_parks(open("drain").await).await;
    scenarios::the_report_cache_follows_uploads_and_decisions(open("report_cache").await).await;
    proxy::cut_connections_leave_exactly_one_copy(open("cuts").await, 100).await;
    templates::kiosk_template_reaches_the_site(open("templates").await).await;
    watermark::watermark_follows_drained_outboxes(open("watermark").await).await;
    watermark::refused_uploads_are_kept(open("refused").await).await;
    parked::parked_records_are_requeued_after_enrolment(open("parked").await).await;
    health::health_reports_and_tamper_events(open("health").await).await;
    attacks::mixed_order_signature_is_refused(open("mixed_order").await).await;
    attacks::doubtful_records_wait_for_a_supervisor(open("doubts").await).await;
    attacks::each_site_keeps_its_own_zone(open("zones").await).await;
    attacks::a_teleport_and_a_replayed_position_are_flagged(open("teleport").await).await;
    attacks::both_record_formats_keep_what_the_receiver_said(open("formats").await).await;
    attacks::a_record_into_a_closed_month_waits_in_quarantine(open("closed_month").await).await;
    attacks::a_stranger_refused_again_and_again_is_throttled(open("throttled").await).await;
    attacks::a_stranger_cannot_tell_devices_apart(open("strangers").await).await;
}
