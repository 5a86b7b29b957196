//! Parse baseline for the benchmark: plain serde_json typed deserialization of an `az`
//! activity-log array, element by element through `SeqAccess` (never a whole-document
//! `Value`), into a struct of the main `EventData` fields.

use anyhow::{Context, Result};
use serde::de::{Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::io::BufReader;
use std::path::Path;

#[derive(Deserialize)]
#[allow(dead_code)]
pub struct LString {
    pub value: Option<String>,
    #[serde(rename = "localizedValue")]
    pub localized_value: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
pub struct HttpRequest {
    #[serde(rename = "clientIpAddress")]
    pub client_ip_address: Option<String>,
    pub method: Option<String>,
}

/// The main `EventData` fields.
#[derive(Deserialize)]
#[allow(dead_code)]
#[serde(rename_all = "camelCase")]
pub struct EventData {
    pub caller: Option<String>,
    pub claims: Option<HashMap<String, String>>,
    pub correlation_id: Option<String>,
    pub event_data_id: Option<String>,
    pub event_name: Option<LString>,
    pub category: Option<LString>,
    pub event_timestamp: Option<String>,
    pub http_request: Option<HttpRequest>,
    pub level: Option<String>,
    pub operation_id: Option<String>,
    pub operation_name: Option<LString>,
    pub properties: Option<HashMap<String, Option<String>>>,
    pub resource_id: Option<String>,
    pub status: Option<LString>,
    pub sub_status: Option<LString>,
    pub submission_timestamp: Option<String>,
    pub subscription_id: Option<String>,
    pub tenant_id: Option<String>,
}

struct Count;

impl<'de> Visitor<'de> for Count {
    type Value = (u64, u64);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of activity events")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(u64, u64), A::Error> {
        let mut n = 0u64;
        let mut claims = 0u64;
        while let Some(ev) = seq.next_element::<EventData>()? {
            n += 1;
            claims += ev.claims.map(|c| c.len() as u64).unwrap_or(0);
        }
        Ok((n, claims))
    }
}

/// Returns (events, total claims) read from the array (or JSON Lines) in `path`.
pub fn run(path: &Path) -> Result<(u64, u64)> {
    let mut f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut first = [0u8; 1];
    std::io::Read::read_exact(&mut f, &mut first).context("empty file")?;
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(0))?;
    let r = BufReader::with_capacity(1 << 20, f);
    if first[0] == b'[' {
        let mut de = serde_json::Deserializer::from_reader(r);
        return de.deserialize_seq(Count).context("parsing");
    }
    // JSON Lines: one typed value after another.
    let (mut n, mut claims) = (0u64, 0u64);
    for ev in serde_json::Deserializer::from_reader(r).into_iter::<EventData>() {
        let ev = ev.context("parsing")?;
        n += 1;
        claims += ev.claims.map(|c| c.len() as u64).unwrap_or(0);
    }
    Ok((n, claims))
}
