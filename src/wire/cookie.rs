//! The session cookie's format: its name and attributes, rendered once by the
//! `cookie` crate when the configuration is built, then glued to each value.
//!
//! Also the rules a cookie name and its attribute values must follow, which
//! the configuration checks before rendering anything.

use std::fmt;

use http::HeaderValue;

use crate::error::SaveError;

/// What the session cookie is written with, as the configuration gives it.
pub(crate) struct Attributes<'a> {
    pub(crate) name: &'a str,
    pub(crate) path: &'a str,
    pub(crate) domain: Option<&'a str>,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
    pub(crate) same_site: cookie::SameSite,
    /// In seconds; `None` makes a browser-session cookie.
    pub(crate) max_age: Option<u64>,
}

/// The attribute a session with a lifetime of its own ends with, before
/// its number of seconds.
const MAX_AGE: &str = "; Max-Age=";

/// The session cookie's pre-rendered format.
pub(crate) struct CookieFormat {
    /// The session cookie's name.
    name: String,
    /// `; HttpOnly; SameSite=Lax; Path=/...`: everything after `name=value`.
    attributes: String,
    /// The same without the configured `Max-Age`, for a session with a
    /// lifetime of its own, which gets its own.
    attributes_without_max_age: String,
    /// Everything after `name=` in a `Set-Cookie` that deletes a cookie.
    removal_attributes: String,
    /// The whole `Set-Cookie` value that deletes the session cookie.
    removal: HeaderValue,
}

impl CookieFormat {
    /// The session cookie's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Renders the attributes once. Fails (`Err(())`) only if the removal
    /// cookie is not a valid header value, which checked names and attribute
    /// values never cause.
    pub(crate) fn new(attributes: &Attributes<'_>) -> Result<Self, ()> {
        let mut cookie = cookie::Cookie::build((attributes.name.to_owned(), ""))
            .path(attributes.path.to_owned())
            .secure(attributes.secure)
            .http_only(attributes.http_only)
            .same_site(attributes.same_site);
        if let Some(domain) = attributes.domain {
            cookie = cookie.domain(domain.to_owned());
        }
        let removal = cookie.clone().removal().to_string();
        let without_max_age = cookie.clone().to_string();
        if let Some(max_age) = attributes.max_age {
            let seconds = i64::try_from(max_age).unwrap_or(i64::MAX);
            cookie = cookie.max_age(cookie::time::Duration::seconds(seconds));
        }
        let rendered = cookie.to_string();
        let after_name = |rendered: &str| {
            rendered
                .strip_prefix(&format!("{}=", attributes.name))
                .unwrap_or(rendered)
                .to_owned()
        };
        let removal_attributes = after_name(&removal);
        let removal = HeaderValue::try_from(format!("{}={removal_attributes}", attributes.name))
            .map_err(|_| ())?;
        Ok(Self {
            name: attributes.name.to_owned(),
            attributes: after_name(&rendered),
            attributes_without_max_age: after_name(&without_max_age),
            removal_attributes,
            removal,
        })
    }

    /// The length of the attributes written after each `name=value`, with
    /// `max_age` instead of the configured one if given.
    pub(crate) fn attributes_len(&self, max_age: Option<u64>) -> usize {
        match max_age {
            None => self.attributes.len(),
            Some(seconds) => {
                self.attributes_without_max_age.len() + MAX_AGE.len() + seconds.to_string().len()
            }
        }
    }

    /// The `Set-Cookie` value that stores `value` in the cookie `name`, with
    /// the session cookie's attributes, and `max_age` (seconds) instead of
    /// the configured one if given.
    pub(crate) fn header(
        &self,
        name: &str,
        value: &str,
        max_age: Option<u64>,
    ) -> Result<HeaderValue, SaveError> {
        let mut header =
            String::with_capacity(name.len() + 1 + value.len() + self.attributes_len(max_age));
        header.push_str(name);
        header.push('=');
        header.push_str(value);
        match max_age {
            None => header.push_str(&self.attributes),
            Some(seconds) => {
                header.push_str(&self.attributes_without_max_age);
                header.push_str(MAX_AGE);
                header.push_str(&seconds.to_string());
            }
        }
        HeaderValue::try_from(header).map_err(|err| SaveError::Encode(err.to_string()))
    }

    /// The `Set-Cookie` value that deletes the session cookie.
    pub(crate) fn removal(&self) -> HeaderValue {
        self.removal.clone()
    }

    /// The `Set-Cookie` value that deletes the cookie `name` (a chunk of the
    /// session cookie), with the session cookie's path and domain.
    pub(crate) fn removal_header(&self, name: &str) -> Option<HeaderValue> {
        HeaderValue::try_from(format!("{name}={}", self.removal_attributes)).ok()
    }
}

impl fmt::Debug for CookieFormat {
    /// The attributes; they never hold a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.attributes)
    }
}

/// A cookie name is an RFC 6265 token: visible ASCII minus separators.
pub(crate) fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

/// `Path` and `Domain` values: printable ASCII without `;`.
pub(crate) fn is_valid_attribute(value: &str) -> bool {
    value
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b';')
}

/// Whether a `Domain` names a host of at least two labels (`example.com`,
/// with or without the leading or trailing dot), each of letters, digits
/// and `-`. A single label (`com`, `.com`) is a top-level domain: browsers
/// refuse such a cookie, or would send it to every site under that suffix;
/// a port, scheme, path, space or `*` makes browsers drop the cookie. (A
/// full public-suffix check would need the list; this catches the mistakes
/// that need none.)
pub(crate) fn is_registrable_domain(domain: &str) -> bool {
    let domain = domain.strip_prefix('.').unwrap_or(domain);
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        })
}

/// Whether the name's prefix allows these attributes: `__Host-` cookies must
/// be Secure, on `/`, without a Domain; `__Secure-` cookies must be Secure.
/// Browsers silently drop cookies that break this, and match the prefixes in
/// any case (`__host-` too).
pub(crate) fn prefix_allows(attributes: &Attributes<'_>) -> bool {
    let has_prefix = |prefix: &str| {
        attributes
            .name
            .get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
    };
    let host = has_prefix("__Host-");
    let secure_prefix = host || has_prefix("__Secure-");
    let broken = (secure_prefix && !attributes.secure)
        || (host && (attributes.path != "/" || attributes.domain.is_some()));
    !broken
}
