//! Durations and times in the words a person would use: "30 days",
//! "in 5 hours", "12 minutes ago", "just now".

use std::time::{Duration, SystemTime};

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// `n` of `unit`, plural when it must be: "1 day", "14 days".
fn count(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// About how long `seconds` is, rounded to the nearest minute, hour or day
/// ("12 minutes", "5 hours", "30 days"); hours up to two days, so that a
/// day and a half is "36 hours" rather than "2 days". `None` under a
/// minute.
fn about(seconds: u64) -> Option<String> {
    if seconds < MINUTE {
        return None;
    }
    let rounded = |unit: u64| (seconds + unit / 2) / unit;
    Some(if rounded(MINUTE) < 60 {
        count(rounded(MINUTE), "minute")
    } else if rounded(HOUR) < 48 {
        count(rounded(HOUR), "hour")
    } else {
        count(rounded(DAY), "day")
    })
}

/// A configured length, exactly when a unit divides it ("14 days",
/// "36 hours", "90 minutes", "2 seconds"), else about ("about 3 hours").
pub fn length(duration: Duration) -> String {
    let seconds = duration.as_secs();
    for (unit, name) in [(DAY, "day"), (HOUR, "hour"), (MINUTE, "minute")] {
        if seconds >= unit && seconds.is_multiple_of(unit) {
            return count(seconds / unit, name);
        }
    }
    match about(seconds) {
        Some(about) => format!("about {about}"),
        None => count(seconds, "second"),
    }
}

/// How far `time` is from `now`: "in 30 days", "in less than a minute",
/// "5 hours ago", "just now".
pub fn from_now(time: SystemTime, now: SystemTime) -> String {
    match time.duration_since(now) {
        Ok(ahead) => match about(ahead.as_secs()) {
            Some(about) => format!("in {about}"),
            None => "in less than a minute".to_owned(),
        },
        Err(behind) => match about(behind.duration().as_secs()) {
            Some(about) => format!("{about} ago"),
            None => "just now".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn times_from_now_are_rounded_to_the_nearest_unit() {
        let now = SystemTime::UNIX_EPOCH + secs(1_000_000_000);
        let ahead = |n| from_now(now + secs(n), now);
        let behind = |n| from_now(now - secs(n), now);
        // 30 days less a few seconds, as a page shows a fresh "Remember me".
        assert_eq!(ahead(30 * DAY - 40), "in 30 days");
        assert_eq!(ahead(14 * DAY - 1), "in 14 days");
        assert_eq!(ahead(5 * HOUR - 59), "in 5 hours");
        assert_eq!(ahead(36 * HOUR), "in 36 hours");
        assert_eq!(ahead(47 * HOUR + 31 * MINUTE), "in 2 days");
        assert_eq!(ahead(12 * MINUTE + 20), "in 12 minutes");
        assert_eq!(ahead(HOUR - 20), "in 1 hour");
        assert_eq!(ahead(MINUTE), "in 1 minute");
        assert_eq!(ahead(59), "in less than a minute");
        assert_eq!(ahead(0), "in less than a minute");
        assert_eq!(behind(1), "just now");
        assert_eq!(behind(59), "just now");
        assert_eq!(behind(90), "2 minutes ago");
        assert_eq!(behind(DAY), "24 hours ago");
        assert_eq!(behind(3 * DAY), "3 days ago");
    }

    #[test]
    fn lengths_are_exact_when_they_can_be() {
        assert_eq!(length(secs(14 * DAY)), "14 days");
        assert_eq!(length(secs(DAY)), "1 day");
        assert_eq!(length(secs(36 * HOUR)), "36 hours");
        assert_eq!(length(secs(90 * MINUTE)), "90 minutes");
        assert_eq!(length(secs(2)), "2 seconds");
        assert_eq!(length(secs(1)), "1 second");
        assert_eq!(length(secs(3 * HOUR + 7)), "about 3 hours");
    }
}
