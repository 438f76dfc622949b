//! Billing periods: subscriptions, credits and tier changes run by calendar month (UTC), as
//! Kiro's plans do (KIRO-SUB-5, KIRO-USE-2).

use std::time::SystemTime;

use sim_core::clock::{civil_date, from_civil_date};

/// 00:00 UTC on the first of `now`'s month.
pub fn month_start(now: SystemTime) -> SystemTime {
    let (y, m, _) = civil_date(now);
    from_civil_date(y, m, 1)
}

/// 00:00 UTC on the first of the month after `now`'s.
pub fn next_month_start(now: SystemTime) -> SystemTime {
    let (y, m, _) = civil_date(now);
    let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    from_civil_date(y, m, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn month_boundaries() {
        let jan15 = sim_core::clock::fixed_epoch() + Duration::from_secs(14 * 86_400 + 3_600);
        assert_eq!(
            humantime::format_rfc3339_seconds(month_start(jan15)).to_string(),
            "2026-01-01T00:00:00Z"
        );
        assert_eq!(
            humantime::format_rfc3339_seconds(next_month_start(jan15)).to_string(),
            "2026-02-01T00:00:00Z"
        );
        let dec31 = sim_core::clock::fixed_epoch() + Duration::from_secs(364 * 86_400);
        assert_eq!(
            humantime::format_rfc3339_seconds(next_month_start(dec31)).to_string(),
            "2027-01-01T00:00:00Z"
        );
    }
}
