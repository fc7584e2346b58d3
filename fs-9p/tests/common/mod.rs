pub mod diod;
pub mod tcp;
pub mod world;
