//! # hadir-e2e: end-to-end tests
//!
//! Helpers shared by the workspace's end-to-end tests in `tests/tests/`: where the shared data
//! and models are, the central server started in-process on a real socket (the same
//! [`hadir_server::app`] and dashboard router the binary serves, over SQLite or a real
//! PostgreSQL ([`on_both_backends!`] runs a scenario on each), with a frozen
//! clock the test advances), simulated kiosks built from the kiosk library, and a face
//! pipeline that runs the real engine or replays results the real engine produced.
//!
//! It must not re-implement what it tests: records are made by `hadir_kiosk::runtime::Kiosk`,
//! uploaded by `hadir_client::Uploader`, judged by the server's rules.
//!
//! # Layout
//! - [`data`]: locating `../shared/faces` and the ONNX models (tests fail with the fix).
//! - [`server`]: the server in-process on `127.0.0.1:0`, restartable over the same database.
//! - [`face`]: [`face::E2eFace`], real engine or replay of real results.
//! - [`kiosk`]: a simulated kiosk: store, identity, enrolment, roster, keys, frames, upload.
//! - [`department`]: the seed-scale department (sections, employees, devices, faces).
//! - [`logs`]: the server's log captured, to check that refusals are logged.
//! - [`proxy`]: a TCP proxy that cuts connections after N bytes.
//! - [`dash`]: a small HTTP client for the dashboard (login, CSV exports).

pub mod dash;
pub mod department;
pub mod data;
pub mod face;
pub mod kiosk;
pub mod logs;
pub mod proxy;
pub mod server;

/// Runs each async scenario `name(db: server::Db)` as two tests, `on_sqlite::name` (a file in a
/// temporary directory) and `on_postgres::name` (a throw-away PostgreSQL cluster).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let tmp = tempfile::tempdir().expect("temporary directory");
                    super::$name($crate::server::Db::Sqlite(tmp.path().join("hadir.sqlite"))).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::server::Db::postgres().await).await;
                }
            )*
        }
    };
}
