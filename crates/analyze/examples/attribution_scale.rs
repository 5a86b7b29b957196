//! Attribution scaling benchmark: N logical operations (2 events each) against 2N sign-ins,
//! timed for several N. Run with
//! `cargo run --release -p tokentrail-analyze --example attribution_scale -- 100000 300000 1000000`.
//!
//! Every operation's token links by `uti`, by session, by issue time or not at all, in fixed
//! proportions, so each matcher step does real work. Prints one line per N with the time of
//! `attribute()` and its time per operation, so growth can be compared with n log n.

use jiff::{SignedDuration, Timestamp};
use std::time::Instant;
use tokentrail_analyze::signins::{Kind, SignInFacts};
use tokentrail_model::{ActivityEvent, Guid};

fn guid(n: u64, salt: u64) -> Guid {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&n.to_be_bytes());
    b[8..].copy_from_slice(&(salt.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ n).to_be_bytes());
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    Guid(b)
}

fn template() -> ActivityEvent {
    serde_json::from_value(serde_json::json!({
        "event_id": "e", "operation": {"name": "Microsoft.Compute/virtualMachines/write"},
        "status": {"kind": "succeeded"}, "time": {"utc": "2026-01-01T00:00:00Z", "raw": ""},
        "category": "Administrative", "resource": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"},
        "source": {"file": "bench", "record": 0}
    }))
    .expect("template event")
}

fn build(n: u64) -> (Vec<ActivityEvent>, Vec<SignInFacts>) {
    let base: Timestamp = "2026-01-01T00:00:00Z".parse().expect("time");
    let users = (n / 50).max(10);
    let t = template();
    let mut events = Vec::with_capacity(2 * n as usize);
    let mut signins = Vec::with_capacity(2 * n as usize);
    for i in 0..n {
        let user = i % users;
        let oid = guid(user, 1).to_string();
        let at = base + SignedDuration::from_secs((i * 30) as i64);
        let issued = at - SignedDuration::from_secs(600 + (i % 3000) as i64);
        let id = guid(i, 2);
        // The sign-in that issued this operation's token, and a failed and an unrelated one.
        let mut s = SignInFacts {
            id: id.to_string().into(),
            request_guid: Some(id),
            token_guid: Some(id),
            time: Some(issued + SignedDuration::from_secs(300)),
            kind: Some(if i % 2 == 0 {
                Kind::NonInteractive
            } else {
                Kind::Interactive
            }),
            success: true,
            object_id: Some(oid.as_str().into()),
            app_id: Some("04b07795-8ddb-461a-bbee-02f9e1bf7b46".into()),
            session_id: Some(format!("s{}", user * 7 + i % 7).into()),
            ip: Some(format!("198.51.{}.{}", user % 250, i % 250).into()),
            ..Default::default()
        };
        let way = i % 10; // 0-5 token, 6-7 session, 8 issue time, 9 nothing
        if way >= 6 {
            s.token_guid = None;
            s.request_guid = Some(guid(i, 3));
            s.id = guid(i, 3).to_string().into();
        }
        signins.push(s);
        let extra = guid(i, 4);
        signins.push(SignInFacts {
            id: extra.to_string().into(),
            request_guid: Some(extra),
            token_guid: Some(extra),
            time: Some(at - SignedDuration::from_secs(45)),
            kind: Some(Kind::NonInteractive),
            success: i % 3 != 0,
            object_id: Some(oid.as_str().into()),
            app_id: Some("04b07795-8ddb-461a-bbee-02f9e1bf7b46".into()),
            ..Default::default()
        });
        let mut claims = vec![
            ("oid", oid.clone()),
            ("appid", "04b07795-8ddb-461a-bbee-02f9e1bf7b46".to_string()),
            ("iat", issued.as_second().to_string()),
            ("upn", format!("user{user}@bench.example")),
        ];
        match way {
            0..=5 => claims.push(("uti", id.to_uti())),
            6 | 7 => claims.push(("sid", format!("s{}", user * 7 + i % 7))),
            _ => {}
        }
        let claims =
            tokentrail_model::Claims::from_pairs(claims.iter().map(|(k, v)| (*k, v.clone())));
        for (k, status) in [(0u64, "started"), (1, "succeeded")] {
            let mut e = t.clone();
            e.event_id = format!("{i}-{k}");
            e.correlation_id = Some(guid(i, 5).to_string());
            e.operation_id = Some(guid(i, 6).to_string());
            e.time = tokentrail_model::EventTime::new(at + SignedDuration::from_secs(k as i64), "");
            e.status = tokentrail_model::Status::parse(Some(status));
            e.claims = claims.clone();
            e.caller = Some(format!("user{user}@bench.example"));
            events.push(e);
        }
    }
    (events, signins)
}

fn main() {
    let sizes: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 30_000, 100_000]
    } else {
        sizes
    };
    println!("operations,signins,build_s,attribute_s,us_per_operation,linked");
    for n in sizes {
        let t0 = Instant::now();
        let (events, signins) = build(n);
        let ns = signins.len();
        let built = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let a = tokentrail_analyze::attribute(events, signins);
        let took = t1.elapsed().as_secs_f64();
        let linked = a.findings.iter().filter(|f| f.sign_in.is_some()).count();
        assert_eq!(a.findings.len() as u64, n);
        println!(
            "{n},{ns},{built:.2},{took:.2},{:.2},{linked}",
            took * 1e6 / n as f64
        );
    }
}
