//! People as the `people` component keeps them: the personnel fields of employees (NIP,
//! position, grade, employment type, supervisor: migration `people/1`), the employee import's
//! reads and its all-or-nothing write, deactivation and erasure on a data-protection request,
//! and whether an administrator exists.
//!
//! Every write that touches the roster moves the roster revision in the same transaction, so
//! kiosks fetch the change at their next sync, and appends its audit line in that transaction
//! too. What a file means is [`crate::people::import`] (pure); this only reads and writes.

use super::portable::{Stmt, Val, params};
use super::{Result, Store};
use crate::people::import::{self, Catalog, EmploymentType, Existing, Person, Plan, Sheet};
use std::collections::HashMap;
use time::OffsetDateTime;

/// Rows per multi-row statement of an import (9 parameters each, far below both backends'
/// limits).
const CHUNK: usize = 200;

const BUMP: &str = "UPDATE roster_state SET revision = revision + 1 WHERE id = 1";
const REVISION: &str = "(SELECT revision FROM roster_state WHERE id = 1)";

/// Why an import was not written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file as a whole.
    #[error("{}", .0.text(crate::dashboard::i18n::Lang::En))]
    File(import::FileError),
    /// Some rows are refused: nothing is written.
    #[error("{0} row(s) refused; nothing written")]
    Refused(usize, Box<Plan>),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] super::StorageError),
}

/// What an erasure removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Erased {
    /// Face templates deleted.
    pub templates: u64,
    /// Evidence photos deleted.
    pub photos: u64,
}

fn audit_stmt(by: &str, action: &str, detail: &str, now: OffsetDateTime) -> Stmt {
    Stmt::new(
        "INSERT INTO dash_audit (at_ms, by_user, action, detail) VALUES ($1, $2, $3, $4)",
        params![super::dt_to_ms(now), by, action, detail],
    )
}

impl Store {
    /// The user names of enabled administrators, by name (none on a new database).
    pub async fn admin_names(&self) -> Result<Vec<String>> {
        self.query_rows(
            "read administrators",
            "SELECT username FROM dash_users WHERE role = 'admin' AND disabled_at_ms IS NULL ORDER BY username",
            params![],
            |r| r.text(0),
        )
        .await
    }

    /// Every employee the roster has ever held (deactivated ones too), by id, with the section
    /// the dashboard shows.
    pub async fn people(&self) -> Result<HashMap<String, Existing>> {
        let rows = self
            .query_rows(
                "read people",
                "SELECT e.employee_id, e.nip, e.name, e.position, e.grade, coalesce(s.section_id, e.section_id),
                        e.site_id, e.employment_type, e.supervisor, e.removed_at_ms
                 FROM employees e LEFT JOIN dash_employee_sections s ON s.employee_id = e.employee_id",
                params![],
                |r| {
                    let person = Person {
                        employee_id: r.text(0)?,
                        nip: r.opt_text(1)?,
                        name: r.text(2)?,
                        position: r.opt_text(3)?,
                        grade: r.opt_text(4)?,
                        section: r.opt_text(5)?,
                        site: Some(r.text(6)?),
                        employment_type: r.opt_text(7)?.as_deref().and_then(EmploymentType::parse),
                        supervisor: r.opt_text(8)?,
                    };
                    Ok(Existing { person, active: r.opt_i64(9)?.is_none() })
                },
            )
            .await?;
        Ok(rows.into_iter().map(|e| (e.person.employee_id.clone(), e)).collect())
    }

    /// Present employees in the import's form, by name then id (what the export writes).
    pub async fn active_people(&self) -> Result<Vec<Person>> {
        let mut list: Vec<Person> = self.people().await?.into_values().filter(|e| e.active).map(|e| e.person).collect();
        list.sort_by(|a, b| (&a.name, &a.employee_id).cmp(&(&b.name, &b.employee_id)));
        Ok(list)
    }

    /// The sections (the dashboard's and the roster's) and sites (the `sites` table's and those
    /// employees are at) an import may name.
    pub async fn import_catalog(&self) -> Result<Catalog> {
        let sections = self
            .query_rows(
                "read sections for an import",
                "SELECT id, name FROM dash_sections UNION SELECT section_id, name FROM sections",
                params![],
                |r| Ok((r.text(0)?, r.text(1)?)),
            )
            .await?;
        let mut sites = self
            .query_rows("read sites for an import", "SELECT site_id, name FROM sites ORDER BY site_id", params![], |r| {
                Ok((r.text(0)?, r.text(1)?))
            })
            .await?;
        for s in self.query_rows("read employees' sites", "SELECT DISTINCT site_id FROM employees", params![], |r| r.text(0)).await? {
            if !sites.iter().any(|(id, _)| *id == s) {
                sites.push((s.clone(), s));
            }
        }
        Ok(Catalog { sections, sites })
    }

    /// Each row's outcome against the store, writing nothing.
    pub async fn plan_import(&self, sheet: &Sheet) -> Result<Plan> {
        Ok(import::plan(sheet, &self.people().await?, &self.import_catalog().await?))
    }

    /// Reads a file and plans it; with `commit`, writes it all or nothing (refused when any row
    /// is) and audits it. Returns the plan (as written, when committed).
    pub async fn import_employees(&self, bytes: &[u8], commit: bool, by: &str, now: OffsetDateTime) -> Result<Plan, ImportError> {
        let sheet = import::parse(bytes).map_err(ImportError::File)?;
        let digest = hadir_protocol::Digest::of(bytes).to_hex();
        let detail = |t: import::Tally| {
            format!(
                "employees import: added={} updated={} unchanged={} (file sha256 {digest}, {} bytes)",
                t.added, t.updated, t.unchanged, bytes.len()
            )
        };
        self.apply_sheet(&sheet, commit, by, "employees_import", detail, now).await
    }

    /// Adds or changes one employee typed into the dashboard's form ([`import::one`]): the
    /// same checks and the same write as an import's row; audited as `employee_saved`.
    pub async fn save_employee(&self, sheet: &Sheet, by: &str, now: OffsetDateTime) -> Result<Plan, ImportError> {
        let detail = |t: import::Tally| {
            let who = sheet.rows.first().and_then(|r| r.person.as_ref().ok()).map_or("?", |p| p.employee_id.as_str());
            format!("employee {who}: {}", if t.added > 0 { "added" } else if t.updated > 0 { "changed" } else { "unchanged" })
        };
        self.apply_sheet(sheet, true, by, "employee_saved", detail, now).await
    }

    /// Plans a sheet; with `commit`, writes it all or nothing under one roster revision, with
    /// its audit line (`action`, `detail` of the counts).
    async fn apply_sheet(
        &self,
        sheet: &Sheet,
        commit: bool,
        by: &str,
        action: &str,
        detail: impl FnOnce(import::Tally) -> String,
        now: OffsetDateTime,
    ) -> Result<Plan, ImportError> {
        let plan = self.plan_import(sheet).await?;
        if !commit {
            return Ok(plan);
        }
        let t = plan.tally();
        if t.refused > 0 {
            return Err(ImportError::Refused(t.refused, Box::new(plan)));
        }
        let detail = detail(t);
        if plan.writes.is_empty() {
            // Nothing changes: the roster revision stays, so kiosks fetch nothing.
            self.audit(by, action, &detail, now).await?;
        } else {
            self.write_all("import employees", import_statements(&plan.writes, by, action, &detail, now)).await?;
        }
        Ok(plan)
    }

    /// Deactivates an employee: gone from every kiosk's roster at the next sync, PIN hash and
    /// face templates erased, name and records kept for history and reports; audited.
    /// `false` when there is no present employee with that id.
    pub async fn deactivate_employee(&self, employee_id: &str, by: &str, now: OffsetDateTime) -> Result<bool> {
        if self.roster_entry(employee_id).await?.is_none() {
            return Ok(false);
        }
        let now_ms = super::dt_to_ms(now);
        let n = self
            .write_all(
                "deactivate employee",
                vec![
                    Stmt::new(BUMP, params![]),
                    Stmt::new("DELETE FROM face_templates WHERE employee_id = $1", params![employee_id]),
                    Stmt::new(
                        format!(
                            "UPDATE employees SET pin_hash = NULL, removed_at_ms = $2, revision = {REVISION}
                             WHERE employee_id = $1 AND removed_at_ms IS NULL"
                        ),
                        params![employee_id, now_ms],
                    ),
                    audit_stmt(by, "employee_deactivate", &format!("employee {employee_id} deactivated: PIN and face templates erased"), now),
                    disable_account(employee_id, now_ms),
                    end_account_sessions(employee_id),
                ],
            )
            .await?;
        Ok(n[2] > 0)
    }

    /// Removes one face template of an employee (a bad enrolment, or a face a stolen kiosk
    /// added): gone from the kiosks at their next sync; audited. `false` when the employee has
    /// no such template.
    pub async fn remove_template(&self, employee_id: &str, template_id: i64, by: &str, now: OffsetDateTime) -> Result<bool> {
        let n = self
            .write_all(
                "remove face template",
                vec![
                    Stmt::new("DELETE FROM face_templates WHERE employee_id = $1 AND template_id = $2", params![employee_id, template_id]),
                    Stmt::new(BUMP, params![]),
                    Stmt::new(format!("UPDATE employees SET revision = {REVISION} WHERE employee_id = $1"), params![employee_id]),
                    audit_stmt(by, "template_remove", &format!("face template {template_id} of employee {employee_id} removed"), now),
                ],
            )
            .await?;
        // Nothing deleted: the revision moved for nothing, which only resends the employee.
        Ok(n[0] > 0)
    }

    /// Erases an employee's personal biometric data on a data-protection request: face
    /// templates, PIN hash and every evidence photo of their records (stored or quarantined)
    /// are deleted; the records stay (the attendance history) without their photos; the
    /// employee is deactivated; audited. `None` when the id was never on the roster.
    pub async fn erase_employee(&self, employee_id: &str, by: &str, now: OffsetDateTime) -> Result<Option<Erased>> {
        if !self.people().await?.contains_key(employee_id) {
            return Ok(None);
        }
        let now_ms = super::dt_to_ms(now);
        let n = self
            .write_all(
                "erase employee",
                vec![
                    Stmt::new(BUMP, params![]),
                    Stmt::new("DELETE FROM face_templates WHERE employee_id = $1", params![employee_id]),
                    Stmt::new(
                        "DELETE FROM photos WHERE sha256 IN (SELECT photo_sha256 FROM records WHERE employee_id = $1
                         UNION SELECT photo_sha256 FROM quarantine WHERE employee_id = $1)",
                        params![employee_id],
                    ),
                    Stmt::new(
                        format!(
                            "UPDATE employees SET pin_hash = NULL, removed_at_ms = coalesce(removed_at_ms, $2), revision = {REVISION}
                             WHERE employee_id = $1"
                        ),
                        params![employee_id, now_ms],
                    ),
                    disable_account(employee_id, now_ms),
                    end_account_sessions(employee_id),
                ],
            )
            .await?;
        let erased = Erased { templates: n[1], photos: n[2] };
        self.audit(
            by,
            "employee_erase",
            &format!(
                "employee {employee_id} erased on a data-protection request: {} face template(s), {} evidence photo(s) and the PIN deleted; records kept without photos",
                erased.templates, erased.photos
            ),
            now,
        )
        .await?;
        Ok(Some(erased))
    }
}

/// Disables the self-service account of an employee who leaves (kept, for the audit trail).
fn disable_account(employee_id: &str, now_ms: i64) -> Stmt {
    Stmt::new("UPDATE dash_users SET disabled_at_ms = $2 WHERE employee_id = $1 AND disabled_at_ms IS NULL", params![employee_id, now_ms])
}

/// Ends the sessions of an employee's self-service account.
fn end_account_sessions(employee_id: &str) -> Stmt {
    Stmt::new("DELETE FROM dash_sessions WHERE user_id IN (SELECT id FROM dash_users WHERE employee_id = $1)", params![employee_id])
}

/// The statements of an import: one roster revision for the whole file, employees in chunks
/// of multi-row upserts, the dashboard's section assignment kept equal to the file's, the
/// audit line.
fn import_statements(writes: &[Person], by: &str, action: &str, detail: &str, now: OffsetDateTime) -> Vec<Stmt> {
    let mut stmts = vec![Stmt::new(BUMP, params![])];
    for chunk in writes.chunks(CHUNK) {
        let mut values = Vec::with_capacity(chunk.len());
        let mut ps: Vec<Val> = Vec::with_capacity(chunk.len() * 9);
        for p in chunk {
            let b = ps.len();
            values.push(format!(
                "(${}, ${}, ${}, ${}, NULL, {REVISION}, NULL, ${}, ${}, ${}, ${}, ${})",
                b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9
            ));
            ps.extend(params![
                &p.employee_id,
                &p.name,
                p.site.clone().unwrap_or_default(),
                p.section.clone(),
                p.nip.clone(),
                p.position.clone(),
                p.grade.clone(),
                p.employment_type.map(|t| t.as_str()),
                p.supervisor.clone()
            ]);
        }
        stmts.push(Stmt::new(
            format!(
                "INSERT INTO employees (employee_id, name, site_id, section_id, pin_hash, revision, removed_at_ms,
                    nip, position, grade, employment_type, supervisor) VALUES {}
                 ON CONFLICT (employee_id) DO UPDATE SET name = excluded.name, site_id = excluded.site_id,
                    section_id = excluded.section_id, revision = excluded.revision, removed_at_ms = NULL,
                    nip = excluded.nip, position = excluded.position, grade = excluded.grade,
                    employment_type = excluded.employment_type, supervisor = excluded.supervisor",
                values.join(", ")
            ),
            ps,
        ));
        let (with, without): (Vec<&Person>, Vec<&Person>) = chunk.iter().partition(|p| p.section.is_some());
        if !with.is_empty() {
            let values: Vec<String> = (0..with.len()).map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2)).collect();
            let ps = with.iter().flat_map(|p| params![&p.employee_id, p.section.clone()]).collect();
            stmts.push(Stmt::new(
                format!(
                    "INSERT INTO dash_employee_sections (employee_id, section_id) VALUES {}
                     ON CONFLICT (employee_id) DO UPDATE SET section_id = excluded.section_id",
                    values.join(", ")
                ),
                ps,
            ));
        }
        if !without.is_empty() {
            let marks: Vec<String> = (1..=without.len()).map(|i| format!("${i}")).collect();
            let ps = without.iter().flat_map(|p| params![&p.employee_id]).collect();
            stmts.push(Stmt::new(format!("DELETE FROM dash_employee_sections WHERE employee_id IN ({})", marks.join(", ")), ps));
        }
    }
    stmts.push(audit_stmt(by, action, detail, now));
    stmts
}
