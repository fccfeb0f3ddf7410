//! The face checks a template from a kiosk passes before it joins the roster: the enrolment
//! rule the dashboard's photo enrolment applies ([`hadir_rules::enrolment`]) — the same face as
//! the employee's templates already stored, nobody else's face across all sites — and a cap on
//! templates per employee. Without them a stolen or tampered kiosk could put its holder's face
//! under any employee of its site.
//!
//! Match percentages use the face models' calibrated score map, so the bands are the kiosks'.
//! It must not store anything (the device API stores what passes).

use crate::storage::{StorageError, Store};
use hadir_rules::enrolment::{EnrolRefusal, check_enrolment};

/// The most templates one employee may have (a re-enrolment adds a few; more is a device
/// filling the roster).
pub const MAX_TEMPLATES_PER_EMPLOYEE: usize = 20;

/// Why an uploaded template is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaceRefusal {
    /// It does not match the employee's enrolled face.
    #[error("the face does not match employee {employee_id}'s enrolled face ({percent:.1} %)")]
    NotTheEnrolledFace {
        /// The employee.
        employee_id: String,
        /// Its worst match with the stored templates, percent.
        percent: f32,
    },
    /// It is another employee's face.
    #[error("the face is already enrolled as employee {other} ({percent:.1} %)")]
    Duplicate {
        /// The other employee.
        other: String,
        /// The match, percent.
        percent: f32,
    },
    /// The employee has the most templates allowed.
    #[error("employee {employee_id} already has {count} templates (at most {MAX_TEMPLATES_PER_EMPLOYEE})")]
    TooMany {
        /// The employee.
        employee_id: String,
        /// Templates stored.
        count: usize,
    },
}

/// Checks `embedding` of `model_version`, uploaded for `employee_id`, against every stored
/// template of that model. `Ok(Err(_))`: refused, with why.
pub async fn check_upload(
    store: &Store,
    employee_id: &str,
    model_version: &str,
    embedding: &[f32],
) -> Result<Result<(), FaceRefusal>, StorageError> {
    let own: Vec<Vec<f32>> =
        store.templates(employee_id).await?.into_iter().filter(|t| t.model_version == model_version).map(|t| t.embedding).collect();
    // The same embedding again is the same template (stored once): not one more.
    if own.iter().any(|o| o.as_slice() == embedding) {
        return Ok(Ok(()));
    }
    if own.len() >= MAX_TEMPLATES_PER_EMPLOYEE {
        return Ok(Err(FaceRefusal::TooMany { employee_id: employee_id.to_owned(), count: own.len() }));
    }
    let mut others: Vec<(String, Vec<Vec<f32>>)> = Vec::new();
    for site in store.sites().await? {
        for e in store.roster_since(&site, 0).await?.changed {
            if e.id == employee_id {
                continue;
            }
            let faces: Vec<Vec<f32>> =
                e.templates.iter().filter(|t| t.model_version == model_version).filter_map(|t| t.embedding()).collect();
            if !faces.is_empty() {
                others.push((e.id, faces));
            }
        }
    }
    let map = hadir_models::ScoreMap::default();
    let similarity = |a: &Vec<f32>, b: &Vec<f32>| map.percent(hadir_models::embedding::cosine(a, b));
    let new = [embedding.to_vec()];
    Ok(match check_enrolment(&new, &own, others.iter().map(|(id, f)| (id.as_str(), f.as_slice())), similarity) {
        Ok(_) => Ok(()),
        Err(EnrolRefusal::NotTheEnrolledFace { percent, .. }) => {
            Err(FaceRefusal::NotTheEnrolledFace { employee_id: employee_id.to_owned(), percent })
        }
        Err(EnrolRefusal::Duplicate { employee_id: other, percent }) => Err(FaceRefusal::Duplicate { other, percent }),
        // One capture cannot disagree with itself.
        Err(EnrolRefusal::NotOnePerson { percent, .. }) => {
            Err(FaceRefusal::NotTheEnrolledFace { employee_id: employee_id.to_owned(), percent })
        }
    })
}
