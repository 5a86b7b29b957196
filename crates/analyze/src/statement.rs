//! The runbook's correlation sentence for each operation, rendered from the finding when an
//! output is written (it is a function of the finding's other fields, so it is not stored).

use crate::finding::OperationFinding;
use std::fmt::{self, Write};

/// "Activity Log event X at time Y was initiated by identity Z. Closest sign-in was at time
/// Y minus N minutes from IP A using client app B. Therefore this action was
/// interactive/automated."
pub fn sentence(f: &OperationFinding) -> String {
    let mut s = String::with_capacity(512);
    // Writing into a String cannot fail.
    let _ = write_sentence(&mut s, f);
    s
}

/// [`sentence`] into any writer.
pub fn write_sentence(s: &mut impl Write, f: &OperationFinding) -> fmt::Result {
    if let Some(fixed) = &f.statement_parts.fixed {
        return s.write_str(fixed);
    }
    let event_id = f
        .event_ids
        .get(f.statement_parts.event as usize)
        .map(String::as_str)
        .unwrap_or("");
    write!(
        s,
        "Activity Log event {event_id} ({}) at {} was initiated by {} {}.",
        f.operation,
        f.time,
        f.identity.kind.label(),
        f.identity.display
    )?;
    match &f.sign_in {
        Some(si) => {
            let t = si.time.as_deref().unwrap_or("an unknown time");
            let mins = match (
                f.time.parse::<jiff::Timestamp>(),
                si.time.as_deref().map(str::parse::<jiff::Timestamp>),
            ) {
                (Ok(at), Some(Ok(t))) => at.duration_since(t).as_secs_f64() / 60.0,
                _ => 0.0,
            };
            // The client is the finding's tool name, which already falls back to the
            // sign-in's app name; the sign-in's app id is kept for when neither is known.
            let app = f
                .client
                .name
                .as_deref()
                .or(f.statement_parts.app_id.as_deref())
                .unwrap_or("an unknown client");
            write!(
                s,
                " The sign-in that issued its token ({}) was at {t}, ",
                si.id
            )?;
            if mins >= 0.0 {
                write!(s, "{mins:.1} minutes before the change")?;
            } else {
                write!(s, "{:.1} minutes after the change", -mins)?;
            }
            write!(
                s,
                ", from IP {} using client app {app}; matched by {} (confidence {:.2}).",
                si.ip.as_deref().unwrap_or("(not recorded)"),
                si.method.label(),
                si.confidence
            )?;
        }
        None => write!(
            s,
            " No sign-in could be linked: {}.",
            f.gaps
                .first()
                .map(|g| g.detail.as_str())
                .unwrap_or("no sign-in logs were provided")
        )?,
    }
    write!(s, " Therefore this action was {}.", f.verdict.word())
}
