//! The questions, one file each: where a point lies ([`zones`]), what a site meets ([`check`]),
//! what lies around it ([`rings`]), what the rules say and the one answer both front ends give
//! ([`screen`]), many sites at once ([`batch`]), features for feature APIs ([`features`]) and their CQL2 filters ([`filter`]), and the
//! plan's indicators ([`indicator`]). Posted sites are parsed and checked in [`site`].

pub mod batch;
pub mod catalog;
pub mod check;
pub mod features;
pub mod filter;
pub mod indicator;
pub mod rings;
pub mod screen;
pub mod site;
pub mod zones;
