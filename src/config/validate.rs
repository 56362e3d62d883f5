//! The one validation every way of configuring (builder, environment,
//! serde) ends in: [`Options::build`] checks each option, names the one at
//! fault, warns about each insecure choice, and derives what the config
//! keeps.

use std::sync::Arc;

use super::options::{
    Lifetime, Options, Secret, DEFAULT_LIFETIME, HOST_COOKIE_NAME, MIN_SECRET_BYTES,
    PLAIN_COOKIE_NAME,
};
use super::{Inner, SameSite, SessionConfig, INSECURE_SECRET};
use crate::auth_hash::AuthDigest;
use crate::csrf::origin::{Judge, Origin};
use crate::error::ConfigError;
use crate::wire::claims::ClaimScheme;
use crate::wire::codec::{Codec, SessionType};
use crate::wire::cookie::{self, Attributes, CookieFormat};
use crate::wire::expiry::Expiry;

impl Options {
    /// Validates every option and builds the config; `name` turns an option's
    /// field name into the name the user knows it by (field or variable).
    pub(super) fn build(mut self, name: fn(&str) -> String) -> Result<SessionConfig, ConfigError> {
        let secret = self.secret(name)?;
        if self.muffin_compat {
            if let Some(why) = self.session_type.muffin_incompatibility(&secret.0) {
                return Err(ConfigError::MuffinIncompatibleSecret {
                    option: name("secret_key"),
                    compat: name("muffin_compat"),
                    why,
                });
            }
        }
        self.check_keys(&secret, name)?;
        let cookie_name = self.cookie_name();
        self.cookie_name = Some(cookie_name.clone());
        self.check_cookie(&cookie_name, name)?;
        if !is_login_url(&self.login_url) {
            return Err(ConfigError::InvalidLoginUrl {
                option: name("login_url"),
                value: self.login_url.clone(),
            });
        }
        let lifetime = self.server_lifetime(name)?;
        let keys: Vec<&str> = std::iter::once(&secret)
            .chain(&self.fallback_keys)
            .map(|key| key.0.as_str())
            .collect();
        let codec = Codec::new(self.session_type, &keys).map_err(|err| match err {
            ConfigError::FernetNotEnabled { .. } => ConfigError::FernetNotEnabled {
                option: name("session_type"),
            },
            other => other,
        })?;
        let auth_digest = AuthDigest::new(&keys);
        let cookie = CookieFormat::new(&self.cookie_attributes(&cookie_name)).map_err(|()| {
            ConfigError::InvalidAttribute {
                option: name("cookie_name"),
                value: cookie_name.clone(),
            }
        })?;
        let judge = self.judge(name)?;
        self.warn_insecure_choices(&secret, &cookie_name, name);
        let claims = ClaimScheme::new(
            codec.issue_time_in_token(),
            codec.pyjwt_claims(),
            self.muffin_compat,
        );
        let expiry = Expiry::new(
            lifetime,
            self.max_lifetime,
            self.sliding_expiration,
            claims.requires_issue_time(),
        );
        Ok(SessionConfig {
            inner: Arc::new(Inner {
                options: self,
                codec,
                auth_digest,
                claims,
                expiry,
                cookie,
                judge,
            }),
            user_loader: None,
        })
    }

    /// The secret to sign with: the one set, else the public default when the
    /// codec does not use it or the app allowed it.
    fn secret(&self, name: fn(&str) -> String) -> Result<Secret, ConfigError> {
        match &self.secret_key {
            Some(_) if self.random_secret => Err(ConfigError::TwoSecrets {
                option: name("secret_key"),
                random: name("random_secret"),
            }),
            Some(secret) => Ok(secret.clone()),
            None if self.random_secret => {
                tracing::warn!(
                    "the session secret is random, made for this process (`{}`): every restart \
                     logs everyone out, and other instances cannot read its cookies. Set `{}` to \
                     keep logins",
                    name("random_secret"),
                    name("secret_key")
                );
                random_secret().ok_or(ConfigError::NoRandomness)
            }
            None if self.session_type.keyed() && !self.allow_insecure_secret => {
                Err(ConfigError::MissingSecret {
                    option: name("secret_key"),
                    allow: name("allow_insecure_secret"),
                })
            }
            None => Ok(Secret(INSECURE_SECRET.to_owned())),
        }
    }

    /// The one rule every key follows, the secret and each fallback key
    /// alike: not blank, no whitespace at either end, and (for a codec that
    /// uses keys) at least [`MIN_SECRET_BYTES`] unless the app allowed
    /// weaker ones. The public default, when allowed, is warned about
    /// instead.
    fn check_keys(&self, secret: &Secret, name: fn(&str) -> String) -> Result<(), ConfigError> {
        let keys = std::iter::once(("secret_key", secret))
            .chain(self.fallback_keys.iter().map(|key| ("fallback_keys", key)));
        for (option, key) in keys {
            if key.is_blank() {
                // An empty key would let anyone sign (or read) sessions.
                return Err(ConfigError::EmptySecret {
                    option: name(option),
                });
            }
            if key.0.trim() != key.0 {
                return Err(ConfigError::SecretWhitespace {
                    option: name(option),
                });
            }
            let public_default = self.secret_key.is_none() && option == "secret_key";
            if !self.session_type.keyed() || public_default {
                continue;
            }
            let Some(why) = weakness(self.session_type, &key.0) else {
                continue;
            };
            if !self.allow_weak_secret {
                return Err(ConfigError::WeakSecret {
                    option: name(option),
                    allow: name("allow_weak_secret"),
                    why,
                });
            }
            tracing::warn!(
                "WEAK SESSION KEY ACCEPTED (`{}`): `{}` {why} Replace it as soon as the apps \
                 sharing it can move",
                name("allow_weak_secret"),
                name(option)
            );
        }
        Ok(())
    }

    /// The cookie's name: the one set, else `__Host-session` where the
    /// prefix fits, else `session`.
    fn cookie_name(&self) -> String {
        match &self.cookie_name {
            Some(name) => name.clone(),
            None if self.host_prefix_fits() => HOST_COOKIE_NAME.to_owned(),
            None => PLAIN_COOKIE_NAME.to_owned(),
        }
    }

    /// Whether a `__Host-` name fits these attributes.
    fn host_prefix_fits(&self) -> bool {
        self.secure && self.domain.is_none() && self.path == "/"
    }

    /// The cookie's name and attributes are ones browsers keep.
    fn check_cookie(&self, cookie_name: &str, name: fn(&str) -> String) -> Result<(), ConfigError> {
        if !cookie::is_valid_name(cookie_name) {
            return Err(ConfigError::InvalidCookieName {
                option: name("cookie_name"),
                value: cookie_name.to_owned(),
            });
        }
        check_attribute(&self.path, name("path"))?;
        if !self.path.starts_with('/') {
            return Err(ConfigError::InvalidPath {
                option: name("path"),
                value: self.path.clone(),
            });
        }
        if let Some(domain) = &self.domain {
            check_attribute(domain, name("domain"))?;
            if !cookie::is_registrable_domain(domain) {
                return Err(ConfigError::InvalidDomain {
                    option: name("domain"),
                    value: domain.clone(),
                });
            }
        }
        if self.samesite == SameSite::None && !self.secure {
            return Err(ConfigError::SameSiteNoneNeedsSecure {
                option: name("samesite"),
            });
        }
        if !cookie::prefix_allows(&self.cookie_attributes(cookie_name)) {
            return Err(ConfigError::InvalidCookiePrefix {
                option: name("cookie_name"),
                value: cookie_name.to_owned(),
            });
        }
        if self.max_age == Some(0) {
            return Err(ConfigError::ZeroDuration {
                option: name("max_age"),
            });
        }
        Ok(())
    }

    /// The lifetime checked on the server, in seconds: `None` only when the
    /// app chose no limit.
    fn server_lifetime(&self, name: fn(&str) -> String) -> Result<Option<u64>, ConfigError> {
        if self.max_lifetime == 0 {
            return Err(ConfigError::ZeroDuration {
                option: name("max_lifetime"),
            });
        }
        match self.lifetime {
            Lifetime::Seconds(0) => Err(ConfigError::ZeroDuration {
                option: name("lifetime"),
            }),
            Lifetime::Seconds(seconds) => Ok(Some(seconds)),
            Lifetime::Default => Ok(Some(self.max_age.unwrap_or(DEFAULT_LIFETIME.as_secs()))),
            Lifetime::Unlimited => Ok(None),
        }
    }

    /// The cross-origin check's trusted origins, parsed.
    fn judge(&self, name: fn(&str) -> String) -> Result<Judge, ConfigError> {
        let trusted = self
            .trusted_origins
            .iter()
            .map(|origin| {
                Origin::parse(origin).ok_or_else(|| ConfigError::InvalidOrigin {
                    option: name("trusted_origins"),
                    value: origin.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Judge {
            trusted,
            forwarded_host: self.trust_proxy_headers,
        })
    }

    /// The options the cookie is written with.
    fn cookie_attributes<'a>(&'a self, cookie_name: &'a str) -> Attributes<'a> {
        Attributes {
            name: cookie_name,
            path: &self.path,
            domain: self.domain.as_deref(),
            secure: self.secure,
            http_only: self.http_only,
            same_site: self.samesite.into(),
            max_age: self.max_age,
        }
    }

    /// Warns, at every build, about each insecure choice the app made
    /// explicitly, naming its option and never a secret.
    fn warn_insecure_choices(&self, secret: &Secret, cookie_name: &str, name: fn(&str) -> String) {
        if self.session_type.keyed() && secret.0 == INSECURE_SECRET {
            tracing::warn!(
                "SESSION SECRET IS THE PUBLIC DEFAULT `{INSECURE_SECRET}`: anyone can forge \
                 sessions and log in as any user. Set `{}` to a long random string \
                 (`openssl rand -base64 24`) as soon as the apps sharing it can move",
                name("secret_key")
            );
        }
        if self.session_type.keyed()
            && self
                .fallback_keys
                .iter()
                .any(|key| key.0 == INSECURE_SECRET)
        {
            tracing::warn!(
                "`{}` holds the insecure default `{INSECURE_SECRET}`: anyone can forge sessions \
                 while it is accepted, and they are re-issued under the current key",
                name("fallback_keys")
            );
        }
        if !self.session_type.keyed() && self.allow_unsigned_logins {
            tracing::warn!(
                "LOGINS OVER UNSIGNED `{}` SESSIONS ARE ALLOWED (`{}`): anyone can write any user \
                 id into the cookie and be that user. Move to `jwt` or `fernet` as soon as the \
                 apps sharing the cookies can.",
                self.session_type,
                name("allow_unsigned_logins")
            );
        }
        if self.lifetime == Lifetime::Unlimited {
            tracing::warn!(
                "sessions never expire on the server (`{}` is none): a copied cookie stays valid \
                 until the user's password changes. Set a lifetime in seconds",
                name("lifetime")
            );
        }
        if !self.cross_origin_protection {
            tracing::warn!(
                "CROSS-ORIGIN PROTECTION IS OFF (`{}`): other sites can post forms to this app \
                 with the visitor's cookies. Turn it back on unless every state-changing route \
                 checks a CSRF token",
                name("cross_origin_protection")
            );
        }
        let host_prefixed = cookie_name
            .get(..7)
            .is_some_and(|start| start.eq_ignore_ascii_case("__Host-"));
        if self.host_prefix_fits() && !host_prefixed {
            tracing::warn!(
                "the session cookie `{cookie_name}` (`{}`) can be planted by a sibling subdomain, \
                 logging visitors in as the attacker: name it `__Host-{cookie_name}` (a \
                 muffin-session app sharing it needs the same name)",
                name("cookie_name")
            );
        }
        if let Some(domain) = &self.domain {
            tracing::warn!(
                "the session cookie is sent to every host under `{domain}` (`{}`): any of them \
                 can read it, or plant a session of its own and log visitors in as the attacker. \
                 Leave it unset unless every such host is trusted",
                name("domain")
            );
        }
    }
}

/// A secret for this process only: 24 random bytes as URL-safe base64, 32
/// ASCII characters, which every codec takes (muffin-session's Fernet key
/// derivation included). `None` if the operating system gave no random
/// bytes.
fn random_secret() -> Option<Secret> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let mut bytes = [0u8; 24];
    getrandom::getrandom(&mut bytes).ok()?;
    Some(Secret(URL_SAFE_NO_PAD.encode(bytes)))
}

/// Why a key is too weak for the codec, if it is: the codec's own reason,
/// else under [`MIN_SECRET_BYTES`].
fn weakness(session_type: SessionType, key: &str) -> Option<&'static str> {
    session_type.weakness(key).or_else(|| {
        (key.len() < MIN_SECRET_BYTES).then_some(
            "is shorter than 32 bytes: a key that short can be guessed offline from one cookie. \
             Use a random string of 32 bytes or more (`openssl rand -base64 24` gives 32 \
             characters).",
        )
    })
}

/// A login URL a redirect can go to: a path on this site (one leading `/`;
/// `//host` and `/\host` are other hosts to browsers), or an absolute
/// `http(s)` URL with a host. Anything else (`javascript:`, `login`) is a
/// mistake. No control characters or fragment either way: `next` is added
/// at the end, and would be lost in a fragment.
fn is_login_url(url: &str) -> bool {
    if url.chars().any(char::is_control) || url.contains('#') {
        return false;
    }
    if let Some(rest) = url.strip_prefix('/') {
        return !rest.starts_with(['/', '\\']);
    }
    let has_scheme = ["http://", "https://"].iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    });
    has_scheme
        && url
            .parse::<http::Uri>()
            .is_ok_and(|uri| uri.host().is_some_and(|host| !host.is_empty()))
}

/// `Path` and `Domain` values: printable ASCII without `;`.
fn check_attribute(value: &str, option: String) -> Result<(), ConfigError> {
    if cookie::is_valid_attribute(value) {
        Ok(())
    } else {
        Err(ConfigError::InvalidAttribute {
            option,
            value: value.to_owned(),
        })
    }
}
