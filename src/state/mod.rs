//! A request's session: loaded from its cookie once, shared by every view
//! of the request, saved into `Set-Cookie`.
//!
//! - [`load`]: the request's headers and the time in, the session as its
//!   cookie held it out (a plain function);
//! - [`shared`]: the per-request state every view reads from and hands its
//!   changes to, in the order the handler made them;
//! - [`view`]: how a Rust type reads its keys from the session, and what it
//!   changed; `capture`: what it serializes to, entry by entry;
//! - [`save`]: the session and what happened to it in, `Set-Cookie` values
//!   out (a plain function).

mod capture;
pub(crate) mod load;
pub(crate) mod save;
pub(crate) mod shared;
pub(crate) mod view;
