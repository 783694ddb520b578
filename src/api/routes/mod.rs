//! One file per group of routes: the planner's ([`check`]), feature APIs ([`features`], OGC API –
//! Features), tiles and styles ([`tiles`]), OGC API – Tiles ([`ogc_tiles`]), the map page ([`map`]), the analyst's
//! ([`indicators`]), the admin routes ([`admin`]), the project registry's ([`projects`]) and the operator's
//! ([`ops`]).

pub mod admin;
pub mod check;
pub mod features;
pub mod indicators;
pub mod map;
pub mod ogc_tiles;
pub mod ops;
pub mod projects;
pub mod tiles;
