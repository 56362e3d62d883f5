// A session type that serde cannot read back.
use axum_cookie_session::Session;
use serde::Serialize;

#[derive(Default, Serialize)]
struct Cart {
    items: Vec<String>,
}

async fn page(cart: Session<Cart>) -> usize {
    cart.items.len()
}

fn main() {
    let _ = page;
}
