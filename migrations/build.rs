// `sqlx::migrate!` embeds the files of `sql/` at build time; rebuild when a
// migration is added, not only when an embedded one changes.
fn main() {
    println!("cargo:rerun-if-changed=sql");
}
