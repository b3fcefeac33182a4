//! Procedural macros of `segloss`.
//!
//! This crate holds the compile-time side of segloss: the `region_loss!` spec compiler and
//! the `Loss` derive land here with the region-loss work; until then it exports nothing.
