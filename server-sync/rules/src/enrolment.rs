//! The enrolment rule: when new face captures may become an employee's templates. The kiosk's
//! administrator menu and the dashboard's photo enrolment both ask it, so a face refused on one
//! cannot be enrolled through the other.
//!
//! Three checks, in order, over match percentages (the face models' score, 0–100):
//! 1. **one person**: every pair of new captures matches at least [`SAME_PERSON_MIN`];
//! 2. **the enrolled face**: when the employee already has templates, every new capture matches
//!    each of them at least [`SAME_PERSON_MIN`] (a re-enrolment adds captures of the same face; it
//!    cannot put a second person under one employee number);
//! 3. **nobody else**: no capture matches any template of another employee at
//!    [`DUPLICATE_FROM`] or more — the valid band, where the face would record as that person.
//!
//! Generic over the embedding type and the similarity function, so it runs with the real
//! models and with scripted faces in tests. It must not load models or store templates.

use hadir_protocol::Band;

/// Two captures are of one person when they match at least this much: the lower edge of the
/// band that needs confirmation (under it nothing is recorded as that person either).
pub const SAME_PERSON_MIN: f32 = Band::CONFIRM_FROM;

/// A capture that matches another employee this much would record as them: a duplicate.
pub const DUPLICATE_FROM: f32 = Band::VALID_FROM;

/// Why captures may not be enrolled.
#[derive(Debug, Clone, PartialEq)]
pub enum EnrolRefusal {
    /// Two of the new captures are not of one person.
    NotOnePerson {
        /// Index of a capture.
        first: usize,
        /// Index of the other.
        second: usize,
        /// Their match, percent.
        percent: f32,
    },
    /// A new capture does not match the face the employee is already enrolled with.
    NotTheEnrolledFace {
        /// Index of the capture.
        capture: usize,
        /// Its worst match with the enrolled templates, percent.
        percent: f32,
    },
    /// The face is already enrolled as another employee.
    Duplicate {
        /// The other employee.
        employee_id: String,
        /// The best match, percent.
        percent: f32,
    },
}

/// What the checks saw, for the audit.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EnrolCheck {
    /// The closest other employee and the best match with them, percent.
    pub nearest_other: Option<(String, f32)>,
}

/// Applies the three checks to `new` captures of an employee whose current templates are
/// `own`, against every other employee's templates (`others`: id and templates).
pub fn check_enrolment<'a, E: 'a>(
    new: &[E],
    own: &[E],
    others: impl IntoIterator<Item = (&'a str, &'a [E])>,
    similarity: impl Fn(&E, &E) -> f32,
) -> Result<EnrolCheck, EnrolRefusal> {
    for (i, a) in new.iter().enumerate() {
        for (j, b) in new.iter().enumerate().skip(i + 1) {
            let percent = similarity(a, b);
            if percent < SAME_PERSON_MIN {
                return Err(EnrolRefusal::NotOnePerson { first: i, second: j, percent });
            }
        }
    }
    for (capture, n) in new.iter().enumerate() {
        let worst = own.iter().map(|o| similarity(n, o)).fold(f32::INFINITY, f32::min);
        if worst < SAME_PERSON_MIN {
            return Err(EnrolRefusal::NotTheEnrolledFace { capture, percent: worst });
        }
    }
    let mut check = EnrolCheck::default();
    for (employee_id, templates) in others {
        let best = new
            .iter()
            .flat_map(|n| templates.iter().map(|t| similarity(n, t)))
            .fold(f32::NEG_INFINITY, f32::max);
        if best == f32::NEG_INFINITY {
            continue;
        }
        if check.nearest_other.as_ref().is_none_or(|(_, p)| best > *p) {
            check.nearest_other = Some((employee_id.to_owned(), best));
        }
        if best >= DUPLICATE_FROM {
            return Err(EnrolRefusal::Duplicate { employee_id: employee_id.to_owned(), percent: best });
        }
    }
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Faces as angles (degrees); the match falls by one point per degree apart.
    fn sim(a: &f32, b: &f32) -> f32 {
        100.0 - (a - b).abs()
    }

    #[test]
    fn enrolment_table() {
        let others: Vec<(&str, Vec<f32>)> = vec![("E2", vec![100.0]), ("E3", vec![170.0, 175.0])];
        let run = |new: &[f32], own: &[f32]| check_enrolment(new, own, others.iter().map(|(id, t)| (*id, t.as_slice())), sim);
        let cases: Vec<(&str, Vec<f32>, Vec<f32>, Result<Option<(&str, f32)>, EnrolRefusal>)> = vec![
            ("one person, nobody near", vec![0.0, 5.0, 10.0], vec![], Ok(Some(("E2", 10.0)))),
            ("pair exactly at the one-person edge", vec![0.0, 50.0], vec![], Ok(Some(("E2", 50.0)))),
            (
                "pair just under it",
                vec![0.0, 50.5],
                vec![],
                Err(EnrolRefusal::NotOnePerson { first: 0, second: 1, percent: 49.5 }),
            ),
            ("re-enrolment of the same face", vec![10.0, 12.0], vec![0.0, 20.0], Ok(Some(("E2", 12.0)))),
            (
                "re-enrolment of another face",
                vec![60.0, 62.0],
                vec![0.0],
                Err(EnrolRefusal::NotTheEnrolledFace { capture: 0, percent: 40.0 }),
            ),
            ("near E2 but under the valid band", vec![78.0, 79.5], vec![], Ok(Some(("E2", 79.5)))),
            (
                "E2's face exactly at the valid edge",
                vec![80.0, 78.0],
                vec![],
                Err(EnrolRefusal::Duplicate { employee_id: "E2".into(), percent: 80.0 }),
            ),
            (
                "E3's second template",
                vec![160.0, 161.0],
                vec![],
                Err(EnrolRefusal::Duplicate { employee_id: "E3".into(), percent: 91.0 }),
            ),
        ];
        for (name, new, own, want) in cases {
            let got = run(&new, &own).map(|c| c.nearest_other);
            let want = want.map(|n| n.map(|(id, p)| (id.to_owned(), p)));
            assert_eq!(got, want, "{name}");
        }
    }
}
