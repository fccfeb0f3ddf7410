//! Field assignments: where a field employee is expected to work from one date to another (a
//! road project, a river bank), a circle with a label. A field record of that day is judged
//! against the assignment instead of the site's area ([`crate::doubts`]); days without one
//! fall back to the site's area.
//!
//! It owns `dash_field_assignments`. Ranges of one employee never overlap: the check and the
//! insert are one transaction that locks the employee's row first (as for their own weeks).

use super::areas::SiteArea;
use super::calendar::{date_str, parse_date};
use super::portable::{Stmt, params};
use super::{Result, StorageError, Store};
use std::collections::HashMap;
use time::Date;

/// Longest label kept.
pub const MAX_LABEL_CHARS: usize = 120;

/// One assignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldAssignment {
    /// Its id.
    pub id: i64,
    /// The employee.
    pub employee_id: String,
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
    /// What and where (`Preservasi jalan Mengwi–Tabanan km 12`).
    pub label: String,
    /// The area.
    pub area: SiteArea,
    /// Who set it.
    pub by: String,
}

const COLS: &str = "id, employee_id, from_date, to_date, label, lat_e7, lon_e7, radius_m, by_user";

fn row(r: &dyn super::portable::Row) -> Result<FieldAssignment> {
    let id = r.i64(0)?;
    let bad = |what: &str| StorageError::Corrupt(format!("dash_field_assignments {id}: {what}"));
    Ok(FieldAssignment {
        id,
        employee_id: r.text(1)?,
        from: parse_date(&r.text(2)?).ok_or_else(|| bad("from_date"))?,
        to: parse_date(&r.text(3)?).ok_or_else(|| bad("to_date"))?,
        label: r.text(4)?,
        area: SiteArea { lat_e7: r.i64(5)?, lon_e7: r.i64(6)?, radius_m: r.i64(7)? },
        by: r.text(8)?,
    })
}

impl Store {
    /// Gives an employee an assignment from `from` to `to`; refused (with the overlapping one)
    /// when another of theirs overlaps it.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_field_assignment(
        &self,
        employee_id: &str,
        from: Date,
        to: Date,
        label: &str,
        area: SiteArea,
        by: &str,
        now_ms: i64,
    ) -> Result<std::result::Result<i64, FieldAssignment>> {
        let n = self
            .write_all(
                "add a field assignment",
                vec![
                    Stmt::new("UPDATE employees SET revision = revision WHERE employee_id = $1", params![employee_id]),
                    Stmt::new(
                        "INSERT INTO dash_field_assignments (employee_id, from_date, to_date, label, lat_e7, lon_e7, radius_m, by_user, created_at_ms)
                         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9
                         WHERE NOT EXISTS (SELECT 1 FROM dash_field_assignments WHERE employee_id = $1 AND from_date <= $3 AND $2 <= to_date)",
                        params![employee_id, date_str(from), date_str(to), label, area.lat_e7, area.lon_e7, area.radius_m, by, now_ms],
                    ),
                ],
            )
            .await?;
        let theirs = self.field_assignments_of(&[employee_id]).await?.remove(employee_id).unwrap_or_default();
        if n[1] == 0 {
            let overlap = theirs.into_iter().find(|a| a.from <= to && from <= a.to);
            return overlap.map(Err).ok_or_else(|| StorageError::Corrupt(format!("assignment of {employee_id} neither saved nor overlapping")));
        }
        theirs
            .into_iter()
            .find(|a| a.from == from && a.to == to)
            .map(|a| Ok(a.id))
            .ok_or_else(|| StorageError::Corrupt(format!("assignment of {employee_id} vanished after insert")))
    }

    /// Removes an assignment; the removed one, or `None` when there is none with that id.
    pub async fn remove_field_assignment(&self, id: i64) -> Result<Option<FieldAssignment>> {
        let Some(a) = self.query_opt("read a field assignment", format!("SELECT {COLS} FROM dash_field_assignments WHERE id = $1"), params![id], row).await?
        else {
            return Ok(None);
        };
        self.write("remove a field assignment", "DELETE FROM dash_field_assignments WHERE id = $1", params![id]).await?;
        Ok(Some(a))
    }

    /// These employees' assignments in the rulebook's form, by employee, oldest first; with
    /// `since`, only those not ended before it.
    pub async fn field_areas_of(&self, employees: &[&str], since: Option<Date>) -> Result<HashMap<String, Vec<hadir_rules::FieldArea>>> {
        let all = self.field_assignments_of(employees).await?;
        let running = all.into_iter().map(|(id, list)| {
            let areas = list.into_iter().filter(|a| since.is_none_or(|d| a.to >= d));
            (id, areas.map(|a| hadir_rules::FieldArea { from: a.from, to: a.to, label: a.label, area: a.area }).collect::<Vec<_>>())
        });
        Ok(running.filter(|(_, areas)| !areas.is_empty()).collect())
    }

    /// These employees' assignments, by employee, oldest first.
    pub async fn field_assignments_of(&self, employees: &[&str]) -> Result<HashMap<String, Vec<FieldAssignment>>> {
        let rows = self
            .query_rows_in(
                "read field assignments",
                &format!("SELECT {COLS} FROM dash_field_assignments WHERE employee_id IN ({{keys}}) ORDER BY from_date"),
                params![],
                employees,
                row,
            )
            .await?;
        let mut out: HashMap<String, Vec<FieldAssignment>> = HashMap::new();
        for a in rows {
            out.entry(a.employee_id.clone()).or_default().push(a);
        }
        Ok(out)
    }
}
