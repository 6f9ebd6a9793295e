//! Where the shared fixtures are (real AWS wire captures and an invocation
//! log record, recorded by others and used unedited): the folder named by
//! `BEDROCK_LATENCY_SHARED`, else `shared/` beside this project, else
//! `/work/shared` (the workspace this project is developed in). A clone
//! elsewhere finds them through the last, or through the variable.

use std::path::PathBuf;

/// The path of `rel` under the shared `fixtures/` folder; panics with what
/// was looked at when there is none (the tests must run on these bytes).
pub(crate) fn shared_fixture(rel: &str) -> PathBuf {
    let candidates: Vec<PathBuf> = std::env::var_os("BEDROCK_LATENCY_SHARED")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"),
            PathBuf::from("/work/shared"),
        ])
        .collect();
    for dir in &candidates {
        let fixtures = dir.join("fixtures");
        if fixtures.is_dir() {
            return fixtures.join(rel);
        }
    }
    panic!(
        "the shared fixtures are missing: set BEDROCK_LATENCY_SHARED to the folder that holds fixtures/ \
         (looked in {candidates:?})"
    );
}
