//! Black-box tests live in `tests/`; `src/bin/valet-e2e-rp` is the relying party the browser tests
//! (`e2e/browser`) drive. This crate has no library code.
