//! `tokentrail-gen scale`: N activity events and ~2N sign-ins, deterministic per seed,
//! streamed to disk in batches of blocks generated in parallel (output order is fixed, so
//! the bytes do not depend on the thread count). A block is one identity's burst of work:
//! sign-ins (interactive root, refreshes, SP / MI sign-ins), the tokens they issue and the
//! operations that use them, plus unrelated sign-ins so sign-ins outnumber events ~2:1.

use crate::activity::{Caller, Op, Phase};
use crate::clock::Ts;
use crate::known::{self, App};
use crate::rng::Rng;
use crate::shapes;
use crate::sink::{self, AzArray, GraphPages, HourTree};
use crate::truth::{self, Coverage, Known};
use crate::world::{Identity, Place, SignIn, SignInKind, Tenant, Token};
use anyhow::{bail, Result};
use rayon::prelude::*;
use serde_json::json;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use tokentrail_model::guid::Guid;

pub struct Config {
    pub activity: u64,
    pub seed: u64,
    pub formats: Vec<String>,
    pub signin_formats: Vec<String>,
    pub az_bytes: Option<u64>,
    pub truth: bool,
    /// Diagnostic-settings trees written as `PT1H.json.gz`.
    pub gzip: bool,
}

#[derive(Default)]
pub struct Report {
    pub activity_events: u64,
    pub operations: u64,
    pub signins: u64,
    pub bytes: u64,
    pub records_written: u64,
    pub shapes: usize,
}

/// Parses `1G`, `500M`, `64K` or a plain byte count.
pub fn parse_size(s: &str) -> Result<u64> {
    let s = s.trim();
    let (num, mul) = match s.chars().last() {
        Some('G') | Some('g') => (&s[..s.len() - 1], 1u64 << 30),
        Some('M') | Some('m') => (&s[..s.len() - 1], 1 << 20),
        Some('K') | Some('k') => (&s[..s.len() - 1], 1 << 10),
        _ => (s, 1),
    };
    match num.parse::<u64>() {
        Ok(n) => Ok(n * mul),
        Err(_) => bail!("bad size {s:?} (use e.g. 1G, 500M)"),
    }
}

/// The identities and places of the synthetic tenant.
struct World {
    tenant: Tenant,
    users: Vec<(Arc<Identity>, Place)>,
    sps: Vec<(Arc<Identity>, Place)>,
    mis: Vec<Arc<Identity>>,
    t0: Ts,
    step_secs: f64,
}

const GIVEN: &[&str] = &[
    "Adele",
    "Alex",
    "Diego",
    "Grady",
    "Henrietta",
    "Isaiah",
    "Johanna",
    "Joni",
    "Lee",
    "Lidia",
    "Lynne",
    "Megan",
    "Miriam",
    "Nestor",
    "Patti",
    "Pradeep",
];
const FAMILY: &[&str] = &[
    "Vance",
    "Wilber",
    "Siciliani",
    "Archie",
    "Mueller",
    "Langer",
    "Lauer",
    "Sherman",
    "Gu",
    "Holloway",
    "Robbins",
    "Bowen",
    "Graham",
    "Wilke",
    "Fernandez",
    "Gupta",
];
const CITIES: &[(&str, &str, &str, f64, f64)] = &[
    ("London", "England", "GB", 51.5072, -0.1276),
    ("Dublin", "Dublin", "IE", 53.3498, -6.2603),
    ("Seattle", "Washington", "US", 47.6062, -122.3321),
    ("Paris", "Ile-de-France", "FR", 48.8566, 2.3522),
    ("Berlin", "Berlin", "DE", 52.52, 13.405),
    ("Sydney", "New South Wales", "AU", -33.8688, 151.2093),
];

fn ip_in_bench_range(rng: &mut Rng) -> String {
    // 198.18.0.0/15 is reserved for benchmarking (RFC 2544).
    format!(
        "198.{}.{}.{}",
        18 + rng.below(2),
        rng.below(256),
        1 + rng.below(254)
    )
}

impl World {
    fn new(seed: u64, expected_blocks: u64) -> World {
        let mut rng = Rng::derive(seed, u64::MAX);
        let tenant = Tenant {
            tenant_id: rng.guid(),
            subscription_id: rng.guid(),
            workspace_id: rng.guid(),
            domain: "contoso-scale.example".into(),
            created: 1_546_300_800,
        };
        let place = |rng: &mut Rng| {
            let (city, state, country, lat, lon) = *rng.pick(CITIES);
            Place {
                ip: ip_in_bench_range(rng),
                city,
                state,
                country,
                lat,
                lon,
                asn: 64_496 + rng.below(16) as u32,
            }
        };
        let mut users = Vec::new();
        for i in 0..400 {
            let g = GIVEN[i % GIVEN.len()];
            let f = FAMILY[(i / GIVEN.len()) % FAMILY.len()];
            let mut id = Identity::user(&mut rng, g, f, &tenant.domain);
            id.upn = Some(format!(
                "{}.{}{}@{}",
                g.to_lowercase(),
                f.to_lowercase(),
                i,
                tenant.domain
            ));
            let p = place(&mut rng);
            users.push((Arc::new(id), p));
        }
        let mut sps = Vec::new();
        for i in 0..60 {
            let id = Identity::service_principal(&mut rng, &format!("sp-automation-{i:03}"));
            let p = place(&mut rng);
            sps.push((Arc::new(id), p));
        }
        let mut mis = Vec::new();
        for i in 0..30 {
            let rid = format!(
                "/subscriptions/{}/resourceGroups/rg-apps-{:02}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-app-{i:03}",
                tenant.subscription_id,
                i % 10
            );
            mis.push(Arc::new(Identity::managed_identity(
                &mut rng,
                &format!("id-app-{i:03}"),
                rid,
                true,
            )));
        }
        let span = 30.0 * 86_400.0;
        World {
            tenant,
            users,
            sps,
            mis,
            t0: Ts::ymd_hms(2026, 2, 1, 0, 0, 0),
            step_secs: span / expected_blocks.max(1) as f64,
        }
    }
}

/// One operation's events, serialized in every requested shape.
struct EvBytes {
    az: Vec<u8>,
    lines: Vec<u8>,
    diag: ((i64, u32, u32, u32), Vec<u8>),
    la: Vec<u8>,
}

struct SiBytes {
    kind: SignInKind,
    graph: Vec<u8>,
    diag: ((i64, u32, u32, u32), Vec<u8>),
}

struct BlockOut {
    events: Vec<EvBytes>,
    ops: u64,
    signins: Vec<SiBytes>,
    truth: Vec<u8>,
}

const OPS: &[(&str, &str)] = &[
    ("Microsoft.Resources/tags/write", "tags"),
    ("Microsoft.Storage/storageAccounts/write", "storage"),
    ("Microsoft.Compute/virtualMachines/write", "vm"),
    ("Microsoft.Compute/virtualMachines/start/action", "vm"),
    ("Microsoft.Compute/virtualMachines/deallocate/action", "vm"),
    (
        "Microsoft.Network/networkSecurityGroups/securityRules/write",
        "rule",
    ),
    ("Microsoft.Web/sites/config/write", "web"),
    ("Microsoft.Resources/deployments/write", "deploy"),
    (
        "Microsoft.Storage/storageAccounts/listKeys/action",
        "storage",
    ),
    ("Microsoft.Compute/snapshots/write", "snap"),
];

fn resource_for(t: &Tenant, kind: &str, rng: &mut Rng) -> String {
    let rg = t.rg_path(&format!("rg-app-{:02}", rng.below(40)));
    let n = rng.below(200);
    match kind {
        "tags" => format!("{rg}/providers/Microsoft.Resources/tags/default"),
        "storage" => format!("{rg}/providers/Microsoft.Storage/storageAccounts/stapp{n:03}"),
        "vm" => format!("{rg}/providers/Microsoft.Compute/virtualMachines/vm-app-{n:03}"),
        "rule" => format!("{rg}/providers/Microsoft.Network/networkSecurityGroups/nsg-app-{n:03}/securityRules/allow-https"),
        "web" => format!("{rg}/providers/Microsoft.Web/sites/app-{n:03}/config/web"),
        "deploy" => format!("{rg}/providers/Microsoft.Resources/deployments/release-{n:04}"),
        _ => format!("{rg}/providers/Microsoft.Compute/snapshots/snap-{n:03}"),
    }
}

fn make_op(w: &World, rng: &mut Rng, tok: &Token, ip: &str, at: Ts) -> Op {
    let (name, kind) = *rng.pick(OPS);
    let rid = resource_for(&w.tenant, kind, rng);
    let mut op = Op::admin(rng, name, rid, Caller::Token(Box::new(tok.clone())), ip, at);
    match kind {
        "rule" => {
            op.request_body = Some(
                json!({"properties": {"protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "443",
                    "sourceAddressPrefix": "VirtualNetwork", "destinationAddressPrefix": "*", "access": "Allow",
                    "priority": 200 + rng.below(100), "direction": "Inbound"}})
                .to_string(),
            );
            op.accepted = true;
        }
        "vm" if name.ends_with("/write") => {
            op.request_body = Some(
                json!({"location": "westeurope", "properties": {"hardwareProfile": {"vmSize": *rng.pick(&["Standard_D2s_v5", "Standard_B2s", "Standard_E4s_v5"])}}})
                    .to_string(),
            );
            op.accepted = true;
        }
        "vm" | "deploy" | "storage" if !name.contains("listKeys") => op.accepted = true,
        _ => {}
    }
    if rng.chance(2) {
        op.outcome = crate::activity::Outcome::Failed(
            "Conflict",
            "Conflict",
            "The operation conflicts with another operation.".into(),
        );
    }
    op
}

fn user_signin(
    rng: &mut Rng,
    kind: SignInKind,
    who: &Arc<Identity>,
    app: App,
    p: &Place,
    at: Ts,
    sid: Guid,
) -> SignIn {
    let interactive = kind == SignInKind::Interactive;
    SignIn {
        id: rng.guid(),
        time: at.add_ms(rng.range(0, 999)),
        kind,
        who: who.clone(),
        app,
        resource: known::ARM,
        place: p.clone(),
        user_agent: if app == known::AZURE_PORTAL {
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.80".into()
        } else {
            "python/3.11.8 (Windows-10-10.0.22631-SP0) msal/1.27.0 azure-cli/2.58.0".into()
        },
        client_app_used: if app == known::AZURE_PORTAL {
            "Browser"
        } else {
            "Mobile Apps and Desktop clients"
        },
        os: "Windows10",
        browser: if app == known::AZURE_PORTAL {
            "Edge 122.0.2365"
        } else {
            ""
        },
        session_id: Some(sid),
        correlation_id: rng.guid(),
        incoming_token_type: if interactive { "none" } else { "refreshToken" },
        auth_requirement: "multiFactorAuthentication",
        auth_steps: if interactive {
            vec![
                ("Password", "Password in the cloud"),
                ("Mobile app notification", ""),
            ]
        } else {
            vec![]
        },
        ca_status: "success",
        error_code: 0,
        failure_reason: "Other.",
        risk_level: "none",
        risk_events: vec![],
        protocol: if interactive { "oAuth2" } else { "none" },
        original_transfer: "none",
        cred_type: "none",
        cred_key_id: None,
        fed_cred_id: None,
        with_uti: true,
        uti_text: rng.chance(30),
        processing_ms: rng.range(40, 400),
    }
}

fn app_signin(rng: &mut Rng, kind: SignInKind, who: &Arc<Identity>, p: &Place, at: Ts) -> SignIn {
    let app_id = who.app_id.map(|g| g.to_string()).unwrap_or_default();
    let mut s = user_signin(rng, kind, who, known::ARM, p, at, Guid([0; 16]));
    s.app = App { id: "", name: "" };
    s.session_id = None;
    s.user_agent = String::new();
    s.client_app_used = "";
    s.os = "";
    s.browser = "";
    s.incoming_token_type = "none";
    s.auth_requirement = "singleFactorAuthentication";
    s.ca_status = "notApplied";
    s.auth_steps = vec![];
    s.cred_type = if kind == SignInKind::ManagedIdentity {
        "managedIdentity"
    } else {
        "clientSecret"
    };
    if kind == SignInKind::ManagedIdentity {
        s.place = Place {
            ip: String::new(),
            city: "",
            state: "",
            country: "",
            lat: 0.0,
            lon: 0.0,
            asn: 0,
        };
    }
    // App display names are per identity; keep them in the SignIn via a small leak-free trick:
    s.app = App {
        id: intern(app_id),
        name: intern(who.display.clone()),
    };
    s
}

/// Interns the few hundred identity strings of the scale world (bounded: identities are fixed).
fn intern(s: String) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static SET: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let m = SET.get_or_init(|| Mutex::new(HashSet::new()));
    let mut g = match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    if let Some(x) = g.get(s.as_str()) {
        return x;
    }
    let l: &'static str = Box::leak(s.into_boxed_str());
    g.insert(l);
    l
}

fn block(w: &World, cfg: &Config, b: u64, want_signins: bool) -> BlockOut {
    let mut rng = Rng::derive(cfg.seed, b);
    let start = w.t0.add_ticks((b as f64 * w.step_secs * 1e7) as i64);
    let mut signins: Vec<(SignIn, bool)> = Vec::new();
    let mut ops: Vec<Op> = Vec::new();
    let roll = rng.below(100);
    if roll < 60 {
        let (who, p) = &w.users[rng.below(w.users.len())];
        let app = *rng.pick(&[
            known::AZURE_PORTAL,
            known::AZURE_CLI,
            known::AZURE_POWERSHELL,
        ]);
        let sid = rng.guid();
        if rng.chance(10) {
            let g = rng.guid();
            let mut f = user_signin(
                &mut rng,
                SignInKind::Interactive,
                who,
                app,
                p,
                start.add_secs(-90),
                g,
            );
            f.session_id = None;
            f.error_code = 50126;
            f.failure_reason = "Error validating credentials due to invalid username or password.";
            signins.push((f, true));
        }
        let root = user_signin(&mut rng, SignInKind::Interactive, who, app, p, start, sid);
        let ntok = 1 + rng.below(3) as i64;
        let mut issuer = root.clone();
        signins.push((root, true));
        for k in 0..ntok {
            if k > 0 {
                let t = start.add_mins(k * rng.range(50, 70));
                issuer = user_signin(&mut rng, SignInKind::NonInteractive, who, app, p, t, sid);
                let dropped = rng.chance(3);
                signins.push((issuer.clone(), !dropped));
            }
            let tok = issuer.token(&mut rng);
            let n = 1 + rng.below(5);
            for _ in 0..n {
                let hi = if rng.chance(5) { 3_840 } else { 3_300 };
                let at = issuer.time.add_secs(rng.range(30, hi));
                ops.push(make_op(w, &mut rng, &tok, &p.ip, at));
            }
        }
    } else if roll < 85 {
        let (who, p) = &w.sps[rng.below(w.sps.len())];
        for k in 0..(1 + rng.below(2) as i64) {
            let s = app_signin(
                &mut rng,
                SignInKind::ServicePrincipal,
                who,
                p,
                start.add_mins(k * 61),
            );
            let tok = s.token(&mut rng);
            for _ in 0..(1 + rng.below(6)) {
                let at = s.time.add_secs(rng.range(5, 3_000));
                ops.push(make_op(w, &mut rng, &tok, &p.ip, at));
            }
            signins.push((s, true));
        }
    } else {
        let who = &w.mis[rng.below(w.mis.len())];
        let p = Place {
            ip: String::new(),
            city: "",
            state: "",
            country: "",
            lat: 0.0,
            lon: 0.0,
            asn: 0,
        };
        let s = app_signin(&mut rng, SignInKind::ManagedIdentity, who, &p, start);
        let tok = s.token(&mut rng);
        for _ in 0..(1 + rng.below(8)) {
            let at = s.time.add_secs(rng.range(5, 6 * 3600));
            ops.push(make_op(w, &mut rng, &tok, "10.20.4.17", at));
        }
        signins.push((s, true));
    }
    ops.sort_by_key(|o| o.start);

    let t = &w.tenant;
    let do_az = cfg.formats.iter().any(|f| f == "az");
    let do_diag = cfg.formats.iter().any(|f| f == "diag");
    let do_la = cfg.formats.iter().any(|f| f == "la-csv");
    let do_lines = cfg.formats.iter().any(|f| f == "az-lines");
    let mut events = Vec::new();
    let mut csv = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let mut truth_buf = Vec::new();
    for op in &ops {
        let evs = op.events(&mut rng);
        for ev in &evs {
            let sr = rng.guid();
            let mut eb = EvBytes {
                az: Vec::new(),
                lines: Vec::new(),
                diag: ((0, 0, 0, 0), Vec::new()),
                la: Vec::new(),
            };
            if do_az || do_lines {
                let v = shapes::az_event(op, ev, t, sr);
                if do_az {
                    sink::push_indented(&mut eb.az, &v);
                }
                if do_lines {
                    sink::push_line(&mut eb.lines, &v);
                }
            }
            if do_diag {
                sink::push_line(&mut eb.diag.1, &shapes::diag_event(op, ev, t, sr));
                eb.diag.0 = ev.submitted.ymdh();
            }
            if do_la {
                let before = csv.get_ref().len();
                let _ = csv.write_record(shapes::la_row(op, ev, t, sr, true));
                let _ = csv.flush();
                eb.la = csv.get_ref()[before..].to_vec();
            }
            let _ = ev.phase == Phase::End;
            events.push(eb);
        }
        if cfg.truth {
            let known: Vec<Known<'_>> = signins
                .iter()
                .map(|(s, e)| Known { s, exported: *e })
                .collect();
            let (identity, client, verdict) = truth::identity_of(op);
            let (sign_in, gap, origin) = truth::expected_link(
                op,
                &known,
                &Coverage {
                    start: i64::MIN / 2,
                    end: i64::MAX / 2,
                },
            );
            let line = truth::TruthOp {
                record: "operation",
                correlation_id: op.correlation_id.to_string(),
                operation_id: op.operation_id.clone(),
                operation: op.operation.clone(),
                resource_id: op.resource_id.clone(),
                time: op.start.iso(),
                status: op.final_status(),
                event_ids: evs.iter().map(|e| e.event_data_id.to_string()).collect(),
                identity,
                client,
                sign_in,
                sign_in_gap: gap,
                session_origin: origin,
                verdict,
                malicious: false,
                indicators: vec![],
                notes: vec![],
            };
            let _ = serde_json::to_writer(&mut truth_buf, &line);
            truth_buf.push(b'\n');
        }
    }
    // Unrelated sign-ins (Office / Graph, some failed) so sign-ins are ~2x events.
    let mut out_si = Vec::new();
    if want_signins {
        let target = events.len() * 2;
        let mut n_real = signins.iter().filter(|(_, e)| *e).count();
        while n_real < target {
            let (who, p) = &w.users[rng.below(w.users.len())];
            let at = start.add_secs(rng.range(0, 7_200));
            let g = rng.guid();
            let mut s = user_signin(
                &mut rng,
                SignInKind::NonInteractive,
                who,
                known::OFFICE,
                p,
                at,
                g,
            );
            s.resource = *rng.pick(&[known::GRAPH, known::EXCHANGE]);
            s.incoming_token_type = "primaryRefreshToken";
            if rng.chance(4) {
                s.error_code = 50173;
                s.failure_reason = "The provided grant has expired due to it being revoked, a fresh auth token is needed.";
            }
            signins.push((s, true));
            n_real += 1;
        }
        for (s, exported) in &signins {
            if !exported {
                continue;
            }
            let graph_v = shapes::graph_signin(s, t);
            let mut g = Vec::new();
            if cfg.signin_formats.iter().any(|f| f == "graph") {
                let _ = serde_json::to_writer(&mut g, &graph_v);
            }
            let mut d = Vec::new();
            if cfg.signin_formats.iter().any(|f| f == "diag") {
                let props = shapes::graph_to_diag_props(s, graph_v);
                sink::push_line(&mut d, &shapes::diag_signin_with(s, t, props));
            }
            out_si.push(SiBytes {
                kind: s.kind,
                graph: g,
                diag: (s.time.add_secs(150).ymdh(), d),
            });
        }
    }
    BlockOut {
        events,
        ops: ops.len() as u64,
        signins: out_si,
        truth: truth_buf,
    }
}

/// Runs the generator; returns counts.
pub fn run(cfg: &Config, out: &Path) -> Result<Report> {
    let az_only = cfg.az_bytes.is_some();
    let mut cfg2 = Config {
        activity: cfg.activity,
        seed: cfg.seed,
        formats: cfg.formats.clone(),
        signin_formats: cfg.signin_formats.clone(),
        az_bytes: cfg.az_bytes,
        truth: cfg.truth,
        gzip: cfg.gzip,
    };
    if az_only {
        cfg2.formats = vec!["az".into()];
        if cfg.formats.iter().any(|f| f == "az-lines") {
            cfg2.formats.push("az-lines".into());
        }
        cfg2.signin_formats.clear();
        cfg2.truth = false;
    }
    let cfg = &cfg2;
    let target_events = match cfg.az_bytes {
        Some(b) => b / 2_600 + 1,
        None => cfg.activity,
    };
    let world = World::new(cfg.seed, target_events / 13 + 1);
    let t = &world.tenant;
    let act = out.join("activity");
    let has = |f: &str| cfg.formats.iter().any(|x| x == f);
    let si_has = |f: &str| cfg.signin_formats.iter().any(|x| x == f);
    let mut az = if has("az") {
        Some(AzArray::new(sink::create(
            &act.join("az-activity-log.json"),
        )?)?)
    } else {
        None
    };
    let mut diag = if has("diag") {
        Some(
            HourTree::new(
                act.join("insights-activity-logs").join(format!(
                    "resourceId=/SUBSCRIPTIONS/{}",
                    t.subscription_id.to_string().to_uppercase()
                )),
                64,
            )
            .gzip(cfg.gzip),
        )
    } else {
        None
    };
    let mut la = if has("la-csv") {
        let mut w = sink::create(&act.join("la-azureactivity.csv"))?;
        let mut c = csv::Writer::from_writer(Vec::new());
        c.write_record(shapes::LA_COLUMNS)?;
        c.flush()?;
        w.write_all(c.get_ref())?;
        Some(w)
    } else {
        None
    };
    let mut lines = if has("az-lines") {
        Some(sink::create(&act.join("az-activity-log.jsonl"))?)
    } else {
        None
    };
    let want_signins = !cfg.signin_formats.is_empty();
    let mut pages: Vec<GraphPages> = Vec::new();
    let mut sdiag: Vec<HourTree> = Vec::new();
    for kind in SignInKind::ALL {
        let next = format!(
            "https://graph.microsoft.com/beta/auditLogs/signIns?$filter=signInEventTypes/any(t: t eq '{}')&$top=1000",
            kind.event_type()
        );
        pages.push(GraphPages::new(
            &out.join("signins").join("graph"),
            kind.event_type(),
            "https://graph.microsoft.com/beta/$metadata#auditLogs/signIns",
            &next,
            1000,
        ));
        sdiag.push(
            HourTree::new(
                out.join("signins")
                    .join("diag")
                    .join(format!("insights-logs-{}", kind.category().to_lowercase()))
                    .join(format!("tenantId={}", t.tenant_id)),
                16,
            )
            .gzip(cfg.gzip),
        );
    }
    let mut truth_w = if cfg.truth {
        Some(sink::create(&out.join("truth.jsonl"))?)
    } else {
        None
    };

    let mut rep = Report {
        shapes: cfg.formats.len() + cfg.signin_formats.len(),
        ..Report::default()
    };
    // A producer thread generates batches of blocks in parallel (rayon) while this thread
    // writes the previous batch; the bounded channel keeps at most two batches in memory.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<BlockOut>>(2);
    let world_ref = &world;
    std::thread::scope(|sc| -> Result<()> {
        sc.spawn(move || {
            let mut next_block = 0u64;
            let mut produced = 0u64;
            loop {
                // Enough blocks for the remaining events (≈13 per block), at most 256 at a time.
                let remaining = match cfg.az_bytes {
                    Some(b) => b.saturating_sub(produced) / 2_600,
                    None => cfg.activity.saturating_sub(produced),
                };
                let batch = (remaining / 10 + 4).min(256);
                let blocks: Vec<BlockOut> = (next_block..next_block + batch)
                    .into_par_iter()
                    .map(|b| block(world_ref, cfg, b, want_signins))
                    .collect();
                next_block += batch;
                for bo in &blocks {
                    produced += match cfg.az_bytes {
                        Some(_) => bo.events.iter().map(|e| e.az.len() as u64 + 2).sum::<u64>(),
                        None => bo.events.len() as u64,
                    };
                }
                if tx.send(blocks).is_err() {
                    break;
                }
            }
        });

        write_batches(
            rx,
            &mut WriteState {
                az: &mut az,
                diag: &mut diag,
                la: &mut la,
                lines: &mut lines,
                pages: &mut pages,
                sdiag: &mut sdiag,
                truth_w: &mut truth_w,
                rep: &mut rep,
            },
            cfg,
        )
    })?;
    if let Some(a) = az {
        a.finish()?;
    }
    if let Some(d) = diag {
        d.finish()?;
    }
    if let Some(mut l) = la {
        l.flush()?;
    }
    if let Some(mut l) = lines {
        l.flush()?;
    }
    for p in pages {
        if si_has("graph") {
            p.finish()?;
        }
    }
    for d in sdiag {
        d.finish()?;
    }
    if let Some(mut w) = truth_w {
        w.flush()?;
    }
    Ok(rep)
}

type FileW = std::io::BufWriter<std::fs::File>;

/// The open outputs of a scale run.
struct WriteState<'a> {
    az: &'a mut Option<AzArray<FileW>>,
    diag: &'a mut Option<HourTree>,
    la: &'a mut Option<FileW>,
    lines: &'a mut Option<FileW>,
    pages: &'a mut Vec<GraphPages>,
    sdiag: &'a mut Vec<HourTree>,
    truth_w: &'a mut Option<FileW>,
    rep: &'a mut Report,
}

/// Writes batches in order until the target is reached; dropping `rx` stops the producer.
fn write_batches(
    rx: std::sync::mpsc::Receiver<Vec<BlockOut>>,
    st: &mut WriteState<'_>,
    cfg: &Config,
) -> Result<()> {
    let si_has = |f: &str| cfg.signin_formats.iter().any(|x| x == f);
    let (graph, sdiag_on) = (si_has("graph"), si_has("diag"));
    for blocks in rx.iter() {
        for bo in blocks {
            for s in &bo.signins {
                let k = SignInKind::ALL
                    .iter()
                    .position(|x| *x == s.kind)
                    .unwrap_or(0);
                if graph {
                    st.pages[k].raw(&s.graph)?;
                    st.rep.records_written += 1;
                }
                if sdiag_on {
                    st.sdiag[k].write(s.diag.0, &s.diag.1)?;
                    st.rep.records_written += 1;
                }
                st.rep.bytes += (s.graph.len() + s.diag.1.len()) as u64;
                st.rep.signins += 1;
            }
            if let Some(w) = st.truth_w.as_mut() {
                w.write_all(&bo.truth)?;
            }
            st.rep.operations += bo.ops;
            for e in &bo.events {
                if let Some(a) = st.az.as_mut() {
                    a.raw(&e.az)?;
                    st.rep.records_written += 1;
                }
                if let Some(d) = st.diag.as_mut() {
                    d.write(e.diag.0, &e.diag.1)?;
                    st.rep.records_written += 1;
                }
                if let Some(l) = st.la.as_mut() {
                    l.write_all(&e.la)?;
                    st.rep.records_written += 1;
                }
                if let Some(l) = st.lines.as_mut() {
                    l.write_all(&e.lines)?;
                    st.rep.records_written += 1;
                }
                st.rep.bytes += (e.az.len() + e.lines.len() + e.diag.1.len() + e.la.len()) as u64;
                st.rep.activity_events += 1;
                let done = match cfg.az_bytes {
                    Some(b) => st.az.as_ref().map(|a| a.bytes >= b).unwrap_or(true),
                    None => st.rep.activity_events >= cfg.activity,
                };
                if done {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}
