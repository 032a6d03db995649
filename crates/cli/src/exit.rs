//! Process exit codes (DESIGN.md): 0 ok, 1 user errors (diagnostics, drift,
//! stale files), 2 usage or tool failure.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    UserError = 1,
    Failure = 2,
}
