//! The relation names planners read, from the engines' answers (ring sides, line relations,
//! DE-9IM matrices).

use super::answer::Relation;
use crate::data::Location;
use crate::spatial::linework::LineRelation;
use crate::spatial::segments::RingSide;

pub(super) fn side_of(l: Location) -> RingSide {
    match l {
        Location::Inside => RingSide::Inside,
        Location::Boundary => RingSide::Boundary,
        Location::Outside => RingSide::Outside,
    }
}

/// The relation of two sets of lines, as planners read it; `None` when they do not meet.
pub(super) fn line_relation(r: LineRelation) -> Option<Relation> {
    Some(match r {
        LineRelation::Disjoint => return None,
        LineRelation::Within => Relation::Within,
        LineRelation::Contains => Relation::Contains,
        LineRelation::Touches => Relation::Touches,
        LineRelation::Crosses => Relation::Crosses,
        LineRelation::Overlaps => Relation::Overlaps,
    })
}

/// Maps a DE-9IM matrix (site, feature) to the relation names planners read.
pub(super) fn relation_of(m: geo::relate::IntersectionMatrix) -> Relation {
    if m.is_within() {
        Relation::Within
    } else if m.is_contains() {
        Relation::Contains
    } else if m.is_touches() {
        Relation::Touches
    } else if m.is_crosses() {
        Relation::Crosses
    } else {
        Relation::Overlaps
    }
}
