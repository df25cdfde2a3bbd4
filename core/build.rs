// `sqlx::migrate!` embeds the files of ../migrations, but cargo only notices edits to files it
// already knows: without this, a newly added migration would not be compiled in.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
