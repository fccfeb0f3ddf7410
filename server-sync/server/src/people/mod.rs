//! People: the first administrator of a new server, and employees brought in from (and sent
//! back to) a personnel system's spreadsheet.
//!
//! - [`password`]: the password policy every new dashboard password meets (pure).
//! - [`first_admin`]: `hadir-server init-admin`, the first administrator on an empty database.
//! - [`import`]: a CSV or XLSX file of employees read into rows and checked (pure), then
//!   compared with the store (pure) to give each row's outcome.
//! - [`export`]: the employee list written in the import's own format, so export → import
//!   changes nothing.
//!
//! Everything written goes through [`crate::storage::Store`] (the `people` migration component
//! and [`crate::storage::people`]); this module opens no database itself.

pub mod export;
pub mod first_admin;
pub mod import;
pub mod password;
