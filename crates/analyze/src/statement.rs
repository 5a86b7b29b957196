//! The runbook's correlation sentence for each operation.

use crate::identity::Identity;
use crate::signins::SignInFacts;
use crate::verdict::Verdict;
use jiff::Timestamp;

/// "Activity Log event X at time Y was initiated by identity Z. Closest sign-in was at time
/// Y minus N minutes from IP A using client app B. Therefore this action was
/// interactive/automated."
#[allow(clippy::too_many_arguments)]
pub fn sentence(
    event_id: &str,
    operation: &str,
    at: Timestamp,
    identity: &Identity,
    signin: Option<(&SignInFacts, &str, f64)>,
    client: Option<&str>,
    verdict: Verdict,
    gap: Option<&str>,
) -> String {
    let mut s = format!(
        "Activity Log event {event_id} ({operation}) at {at} was initiated by {} {}.",
        identity.kind.label(),
        identity.display
    );
    match signin {
        Some((si, method, conf)) => {
            let t = si
                .time
                .map(|t| t.to_string())
                .unwrap_or_else(|| "an unknown time".into());
            let mins = si
                .time
                .map(|t| at.duration_since(t).as_secs_f64() / 60.0)
                .unwrap_or(0.0);
            let rel = if mins >= 0.0 {
                format!("{mins:.1} minutes before the change")
            } else {
                format!("{:.1} minutes after the change", -mins)
            };
            let app = client
                .map(str::to_string)
                .or_else(|| si.app_name.as_deref().map(str::to_string))
                .or_else(|| si.app_id.as_deref().map(str::to_string))
                .unwrap_or_else(|| "an unknown client".into());
            s.push_str(&format!(
                " The sign-in that issued its token ({}) was at {t}, {rel}, from IP {} using client app {app}; matched by {method} (confidence {conf:.2}).",
                si.id,
                si.ip.as_deref().unwrap_or("(not recorded)")
            ));
        }
        None => s.push_str(&format!(
            " No sign-in could be linked: {}.",
            gap.unwrap_or("no sign-in logs were provided")
        )),
    }
    s.push_str(&format!(" Therefore this action was {}.", verdict.word()));
    s
}
