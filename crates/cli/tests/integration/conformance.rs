//! Conformance over the real public samples in `../shared/samples`, when present.
//!
//! Every record must be accounted for. An Activity Log record must never be skipped: a
//! skip is only allowed for records that are genuinely something else, and its reason
//! must say so.

use crate::util::{counts, shared_samples, tokentrail};

/// Activity Log records expected per sample file (path relative to the samples dir).
const ACTIVITY: &[(&str, u64)] = &[
    ("azure-docs-activity-log-schema/administrative.json", 1),
    ("azure-docs-activity-log-schema/alert.json", 1),
    ("azure-docs-activity-log-schema/autoscale.json", 1),
    ("azure-docs-activity-log-schema/policy.json", 1),
    ("azure-docs-activity-log-schema/recommendation.json", 1),
    ("azure-docs-activity-log-schema/resourcehealth.json", 1),
    ("azure-docs-activity-log-schema/security.json", 1),
    ("azure-docs-activity-log-schema/servicehealth.json", 1),
    ("azure-docs-powershell/rbac-roleAssignments-write.Get-AzureSubscriptionIdLog-DetailedOutput.log", 1),
    ("sentinel-training-lab/azure_activity.csv", 325),
    ("elastic-beats/activitylogs.log", 1),
    ("elastic-beats/activitylogs_ipv6.log", 1),
    ("elastic-beats/supporttickets_write.log", 1),
    (
        "elastic-integrations/activitylogs.test-time-formats-corner-cases.log",
        11,
    ),
    ("elastic-integrations/test-activitylogs-edgecases.log", 1),
    ("elastic-integrations/test-activitylogs-raw.log", 3),
    ("msticnb/azure_activity_df.pkl.jsonl", 50),
    ("plaso/azure_activity_log.jsonl", 4),
    ("wazuh/log_analytics_events", 2),
    ("yamato-suzaku/azure_graph_api_format.json", 3),
    ("yamato-suzaku/azure_value_format.json", 1),
];

#[test]
fn activity_samples_are_fully_read() {
    let Some(dir) = shared_samples() else {
        eprintln!("../shared/samples not present: conformance test skipped");
        return;
    };
    for (rel, want) in ACTIVITY {
        let path = dir.join(rel);
        let out = tokentrail().args(["parse"]).arg(&path).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let summary = err
            .lines()
            .find(|l| l.contains(": read "))
            .unwrap_or_else(|| panic!("{rel}: {err}"));
        let (read, parsed, skipped) = counts(summary).unwrap();
        assert_eq!(read, parsed + skipped, "{rel}: {summary}");
        let activity = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"] == "activity")
            .count() as u64;
        assert_eq!(activity, *want, "{rel}: {summary}");
        for skip in err.lines().filter(|l| l.starts_with("tokentrail: skip: ")) {
            assert!(
                !skip.contains("): activity/"),
                "{rel}: an Activity Log record was skipped: {skip}"
            );
        }
    }
}
