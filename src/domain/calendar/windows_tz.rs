//! Windows time-zone names (what Outlook and Exchange write in `TZID`) to IANA zones: the
//! common zones only, from the CLDR `windowsZones` table's "001" (territory-neutral) rows.

use chrono_tz::Tz;

/// `(Windows name, IANA name)`, the zones Outlook users most often have.
const TABLE: &[(&str, &str)] = &[
    ("Dateline Standard Time", "Etc/GMT+12"),
    ("Hawaiian Standard Time", "Pacific/Honolulu"),
    ("Alaskan Standard Time", "America/Anchorage"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("US Mountain Standard Time", "America/Phoenix"),
    ("Mountain Standard Time", "America/Denver"),
    ("Central Standard Time", "America/Chicago"),
    ("Central America Standard Time", "America/Guatemala"),
    ("Eastern Standard Time", "America/New_York"),
    ("Atlantic Standard Time", "America/Halifax"),
    ("Newfoundland Standard Time", "America/St_Johns"),
    ("E. South America Standard Time", "America/Sao_Paulo"),
    ("Argentina Standard Time", "America/Buenos_Aires"),
    ("UTC", "Etc/UTC"),
    ("Coordinated Universal Time", "Etc/UTC"),
    ("GMT Standard Time", "Europe/London"),
    ("Greenwich Standard Time", "Atlantic/Reykjavik"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Romance Standard Time", "Europe/Paris"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("GTB Standard Time", "Europe/Bucharest"),
    ("FLE Standard Time", "Europe/Kiev"),
    ("E. Europe Standard Time", "Europe/Chisinau"),
    ("Israel Standard Time", "Asia/Jerusalem"),
    ("Turkey Standard Time", "Europe/Istanbul"),
    ("Russian Standard Time", "Europe/Moscow"),
    ("South Africa Standard Time", "Africa/Johannesburg"),
    ("Arabian Standard Time", "Asia/Dubai"),
    ("India Standard Time", "Asia/Calcutta"),
    ("SE Asia Standard Time", "Asia/Bangkok"),
    ("China Standard Time", "Asia/Shanghai"),
    ("Singapore Standard Time", "Asia/Singapore"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("Korea Standard Time", "Asia/Seoul"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
    ("New Zealand Standard Time", "Pacific/Auckland"),
];

/// The IANA zone for a Windows zone name, if it is one of the common ones.
pub fn from_windows(name: &str) -> Option<Tz> {
    TABLE
        .iter()
        .find(|(windows, _)| windows.eq_ignore_ascii_case(name))
        .and_then(|(_, iana)| iana.parse().ok())
}

/// A `TZID` as calendars write it: an IANA name (possibly behind a `/vendor/` prefix, as
/// Mozilla writes them) or a Windows name. `None` when it is neither.
pub fn resolve(tzid: &str) -> Option<Tz> {
    let name = tzid.trim().trim_matches('"');
    if let Ok(tz) = name.parse::<Tz>() {
        return Some(tz);
    }
    if let Some(tz) = from_windows(name) {
        return Some(tz);
    }
    // "/mozilla.org/20050126_1/America/New_York": try the trailing Area/City.
    let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
    (2..=3).rev().find_map(|n| {
        (parts.len() >= n)
            .then(|| parts[parts.len() - n..].join("/"))
            .and_then(|tail| tail.parse().ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_names_a_real_iana_zone() {
        for (windows, iana) in TABLE {
            assert!(iana.parse::<Tz>().is_ok(), "{windows} → {iana}");
        }
    }

    #[test]
    fn resolves_iana_windows_and_prefixed_names() {
        assert_eq!(resolve("Europe/Berlin"), Some(chrono_tz::Europe::Berlin));
        assert_eq!(
            resolve("Pacific Standard Time"),
            Some(chrono_tz::America::Los_Angeles)
        );
        assert_eq!(
            resolve("/mozilla.org/20050126_1/America/New_York"),
            Some(chrono_tz::America::New_York)
        );
        assert_eq!(resolve("Mars Standard Time"), None);
    }
}
