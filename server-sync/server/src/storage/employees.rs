//! The roster as the office sees it: present employees with the section the dashboard assigned,
//! one employee's roster entry, template counts, the sites.
//!
//! It owns `dash_employee_sections` (an admin's section assignment, which overrides the
//! roster's `section_id` for the dashboard and the reports) and reads the core `employees` and
//! `face_templates` tables. It never writes the roster: PINs, templates and removals go through
//! the device API's methods ([`Store::upsert_employee`], [`Store::insert_template`] …) so the
//! roster revision moves and kiosks fetch the change. Templates stay sealed: only counts and
//! times are read here.

use super::portable::{Row, params};
use super::{Result, Store, ms_to_dt};
use std::collections::HashMap;
use time::OffsetDateTime;

/// An employee, with the section the dashboard assigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    /// NIP or roster id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Site (whose devices' watermarks decide when a day is known).
    pub site_id: String,
    /// Section id, if assigned.
    pub section: Option<String>,
}

/// An employee's roster entry (the core `employees` row, not the dashboard's section override).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// NIP.
    pub id: String,
    /// Name.
    pub name: String,
    /// Site.
    pub site_id: String,
    /// Section in the roster.
    pub section_id: Option<String>,
    /// Whether a PIN is set.
    pub has_pin: bool,
    /// Face templates stored.
    pub templates: i64,
    /// When the last template was stored.
    pub last_template: Option<OffsetDateTime>,
}

fn roster_entry(r: &dyn Row) -> Result<RosterEntry> {
    Ok(RosterEntry {
        id: r.text(0)?,
        name: r.text(1)?,
        site_id: r.text(2)?,
        section_id: r.opt_text(3)?,
        has_pin: r.bool(4)?,
        templates: r.i64(5)?,
        last_template: r.opt_i64(6)?.and_then(ms_to_dt),
    })
}

impl Store {
    /// Assigns an employee to a section (the dashboard's override).
    pub async fn set_employee_section(&self, employee_id: &str, section: &str) -> Result<()> {
        self.write(
            "assign section",
            "INSERT INTO dash_employee_sections (employee_id, section_id) VALUES ($1, $2)
             ON CONFLICT (employee_id) DO UPDATE SET section_id = excluded.section_id",
            params![employee_id, section],
        )
        .await?;
        Ok(())
    }

    /// Employees not removed, with their sections, by name.
    pub async fn employees(&self) -> Result<Vec<Employee>> {
        self.query_rows(
            "read employees",
            "SELECT e.employee_id, e.name, e.site_id, coalesce(s.section_id, e.section_id) FROM employees e
             LEFT JOIN dash_employee_sections s ON s.employee_id = e.employee_id
             WHERE e.removed_at_ms IS NULL ORDER BY e.name, e.employee_id",
            params![],
            |r| Ok(Employee { id: r.text(0)?, name: r.text(1)?, site_id: r.text(2)?, section: r.opt_text(3)? }),
        )
        .await
    }

    /// The roster site of each of these employees that is on the roster (not removed).
    pub async fn employee_sites(&self, employee_ids: &[&str]) -> Result<HashMap<String, String>> {
        let rows = self
            .query_rows_in(
                "read employees' sites",
                "SELECT employee_id, site_id FROM employees WHERE removed_at_ms IS NULL AND employee_id IN ({keys})",
                params![],
                employee_ids,
                |r| Ok((r.text(0)?, r.text(1)?)),
            )
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// An employee as the roster (core table) holds them: `None` if unknown or removed.
    pub async fn roster_entry(&self, employee_id: &str) -> Result<Option<RosterEntry>> {
        self.query_opt(
            "read roster entry",
            "SELECT e.employee_id, e.name, e.site_id, e.section_id, CASE WHEN e.pin_hash IS NULL THEN 0 ELSE 1 END,
                    (SELECT count(*) FROM face_templates t WHERE t.employee_id = e.employee_id),
                    (SELECT max(created_at_ms) FROM face_templates t WHERE t.employee_id = e.employee_id)
             FROM employees e WHERE e.employee_id = $1 AND e.removed_at_ms IS NULL",
            params![employee_id],
            roster_entry,
        )
        .await
    }

    /// Face templates stored per employee (counts only; the templates stay sealed).
    pub async fn template_counts(&self) -> Result<HashMap<String, i64>> {
        let rows = self
            .query_rows(
                "count templates",
                "SELECT employee_id, count(*) FROM face_templates GROUP BY employee_id",
                params![],
                |r| Ok((r.text(0)?, r.i64(1)?)),
            )
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// The sites of present employees (every roster the duplicate-face check must read).
    pub async fn sites(&self) -> Result<Vec<String>> {
        self.query_rows(
            "read sites",
            "SELECT DISTINCT site_id FROM employees WHERE removed_at_ms IS NULL ORDER BY site_id",
            params![],
            |r| r.text(0),
        )
        .await
    }
}
