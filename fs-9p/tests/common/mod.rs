pub mod diod;
pub mod tcp;
