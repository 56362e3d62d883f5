// A session type without `Default`: the error names the missing trait where
// the type is used, not "no field on `Session<Prefs>`".
use axum_cookie_session::Session;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Prefs {
    theme: String,
}

async fn page(prefs: Session<Prefs>) -> String {
    prefs.theme.clone()
}

fn main() {
    let _ = page;
}
