//! Shared helpers of the integration tests live in each test file; this crate has no library code.
