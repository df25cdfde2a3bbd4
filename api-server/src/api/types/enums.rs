//! The closed sets of values the contract shows, one definition each. The stored vocabularies
//! are the domain's own types; the API shows them as they are stored.

pub use innova_core::db::enums::{
    ErrorSeverity, ErrorSource, ErrorStatus, GuideQuestionStatus, SubmissionStatus,
};
pub use innova_domain::alerts::{AlertType, Severity as AlertSeverity};
pub use innova_domain::guides::GuideStatus;
pub use innova_domain::vocab::{AttemptStatus, ClassifierSource, InputMode};
// --- Items, assignments, practice
pub use innova_domain::irt::Difficulty;
pub use innova_domain::vocab::{
    AssignmentKind, AssignmentReason, AssignmentTargetStatus, ExerciseSource, ExerciseStatus,
};
// --- Classrooms, parents, skills
pub use innova_domain::bands::Band as MasteryBand;

use innova_domain::access::Role;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A role, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    Student,
    Teacher,
    Parent,
    Admin,
}

impl From<Role> for RoleName {
    fn from(role: Role) -> Self {
        match role {
            Role::Student => RoleName::Student,
            Role::Teacher => RoleName::Teacher,
            Role::Parent => RoleName::Parent,
            Role::Admin => RoleName::Admin,
        }
    }
}
