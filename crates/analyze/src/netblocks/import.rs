//! Importers for published hosting-provider range lists, each a pure function over bytes:
//! Microsoft's Service Tags JSON, AWS `ip-ranges.json`, GCP `cloud.json`, and the bundled
//! text format (`CIDR<TAB>provider<TAB>tag`, `#` comments). [`detect`] tells them apart by
//! content; [`to_tsv`] writes rows back in the bundled format, aggregated.

use super::{Cidr, Label};
use serde_json::Value;
use std::collections::BTreeSet;

/// One prefix and who owns it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Row {
    pub cidr: Cidr,
    pub label: Label,
}

/// What an import produced: rows, plus entries skipped with a reason (never silent).
#[derive(Clone, Debug, Default)]
pub struct Imported {
    pub format: &'static str,
    /// A version stamp from the source (Service Tags `changeNumber`, AWS `syncToken` or
    /// `createDate`, GCP `creationTime`), when it has one.
    pub version: Option<String>,
    pub rows: Vec<Row>,
    pub skipped: Vec<String>,
}

/// The formats [`import`] understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    ServiceTags,
    Aws,
    Gcp,
    Tsv,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("JSON of an unknown shape (expected Service Tags, AWS ip-ranges or GCP cloud.json)")]
    Shape,
    #[error("not UTF-8 text")]
    Utf8,
}

/// Detects the format from the content.
pub fn detect(bytes: &[u8]) -> Format {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let t = head.trim_start_matches('\u{feff}').trim_start();
    if !t.starts_with('{') {
        return Format::Tsv;
    }
    if t.contains("\"values\"") || t.contains("\"changeNumber\"") {
        Format::ServiceTags
    } else if t.contains("\"syncToken\"") || t.contains("\"ip_prefix\"") {
        Format::Aws
    } else if t.contains("\"ipv4Prefix\"")
        || t.contains("\"ipv6Prefix\"")
        || t.contains("\"creationTime\"")
    {
        Format::Gcp
    } else {
        // A JSON object we do not recognise by its head: decide on the parsed shape.
        match serde_json::from_slice::<Value>(bytes) {
            Ok(v) if v.get("values").is_some() => Format::ServiceTags,
            Ok(v) if v.get("syncToken").is_some() => Format::Aws,
            _ => Format::Gcp,
        }
    }
}

/// Imports any supported format, detected from the content.
pub fn import(bytes: &[u8]) -> Result<Imported, ImportError> {
    match detect(bytes) {
        Format::ServiceTags => service_tags(bytes),
        Format::Aws => aws(bytes),
        Format::Gcp => gcp(bytes),
        Format::Tsv => std::str::from_utf8(bytes)
            .map(|s| tsv(s.trim_start_matches('\u{feff}')))
            .map_err(|_| ImportError::Utf8),
    }
}

fn label(provider: &str, tag: &str) -> Label {
    Label {
        provider: clean(provider),
        tag: clean(tag),
    }
}

/// Tabs and line breaks would break the text format; control characters have no place.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

fn push(out: &mut Imported, cidr: Option<&str>, provider: &str, tag: &str, where_: &str) {
    match cidr.and_then(Cidr::parse) {
        Some(c) => out.rows.push(Row {
            cidr: c,
            label: label(provider, tag),
        }),
        None => out.skipped.push(format!(
            "{where_}: not a CIDR prefix: {:?}",
            cidr.unwrap_or("")
        )),
    }
}

fn stamp(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(clean(s)),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Microsoft "Azure IP Ranges and Service Tags" JSON. Keeps `AzureCloud` and its region
/// tags (`AzureCloud.eastus`); other service tags are subsets of these.
pub fn service_tags(bytes: &[u8]) -> Result<Imported, ImportError> {
    let v: Value = serde_json::from_slice(bytes)?;
    let values = v
        .get("values")
        .and_then(Value::as_array)
        .ok_or(ImportError::Shape)?;
    let mut out = Imported {
        format: "azure-service-tags",
        version: v.get("changeNumber").and_then(stamp).map(|n| {
            match v.get("cloud").and_then(Value::as_str) {
                Some(c) => format!("{} changeNumber {n}", clean(c)),
                None => format!("changeNumber {n}"),
            }
        }),
        ..Imported::default()
    };
    for (i, val) in values.iter().enumerate() {
        let name = val.get("name").and_then(Value::as_str).unwrap_or("");
        if name != "AzureCloud" && !name.starts_with("AzureCloud.") {
            continue;
        }
        let prefixes = val
            .get("properties")
            .and_then(|p| p.get("addressPrefixes"))
            .and_then(Value::as_array);
        let Some(prefixes) = prefixes else {
            out.skipped
                .push(format!("values[{i}] {name}: no properties.addressPrefixes"));
            continue;
        };
        for (j, p) in prefixes.iter().enumerate() {
            push(
                &mut out,
                p.as_str(),
                "Azure",
                name,
                &format!("values[{i}].addressPrefixes[{j}]"),
            );
        }
    }
    Ok(out)
}

/// AWS `ip-ranges.json`: `prefixes[].ip_prefix` and `ipv6_prefixes[].ipv6_prefix`, tagged
/// with `service` (`EC2`, `AMAZON`, …).
pub fn aws(bytes: &[u8]) -> Result<Imported, ImportError> {
    let v: Value = serde_json::from_slice(bytes)?;
    if v.get("prefixes").is_none() && v.get("ipv6_prefixes").is_none() {
        return Err(ImportError::Shape);
    }
    let mut out = Imported {
        format: "aws-ip-ranges",
        version: v
            .get("syncToken")
            .and_then(stamp)
            .map(|s| format!("syncToken {s}"))
            .or_else(|| v.get("createDate").and_then(stamp)),
        ..Imported::default()
    };
    for (list, field) in [("prefixes", "ip_prefix"), ("ipv6_prefixes", "ipv6_prefix")] {
        for (i, p) in v
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let service = p.get("service").and_then(Value::as_str).unwrap_or("AMAZON");
            push(
                &mut out,
                p.get(field).and_then(Value::as_str),
                "AWS",
                service,
                &format!("{list}[{i}]"),
            );
        }
    }
    Ok(out)
}

/// GCP `cloud.json`: `prefixes[].ipv4Prefix` / `ipv6Prefix`, tagged with `scope`.
pub fn gcp(bytes: &[u8]) -> Result<Imported, ImportError> {
    let v: Value = serde_json::from_slice(bytes)?;
    let prefixes = v
        .get("prefixes")
        .and_then(Value::as_array)
        .ok_or(ImportError::Shape)?;
    let mut out = Imported {
        format: "gcp-cloud-json",
        version: v.get("creationTime").and_then(stamp),
        ..Imported::default()
    };
    for (i, p) in prefixes.iter().enumerate() {
        let scope = p
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or("GoogleCloud");
        let cidr = p
            .get("ipv4Prefix")
            .or_else(|| p.get("ipv6Prefix"))
            .and_then(Value::as_str);
        push(&mut out, cidr, "GCP", scope, &format!("prefixes[{i}]"));
    }
    Ok(out)
}

/// The bundled text format: `CIDR<TAB>provider<TAB>tag` per line (tag optional), `#`
/// comments and blank lines ignored.
pub fn tsv(text: &str) -> Imported {
    let mut out = Imported {
        format: "tsv",
        ..Imported::default()
    };
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            if out.version.is_none() {
                if let Some(v) = c.trim().strip_prefix("version:") {
                    out.version = Some(clean(v));
                }
            }
            continue;
        }
        let mut f = line.split('\t');
        let cidr = f.next();
        let provider = f.next().map(str::trim).unwrap_or("");
        let tag = f.next().map(str::trim).unwrap_or("");
        if provider.is_empty() {
            out.skipped
                .push(format!("line {}: no provider column", n + 1));
            continue;
        }
        push(&mut out, cidr, provider, tag, &format!("line {}", n + 1));
    }
    out
}

/// Drops duplicates and prefixes inside a same-label prefix, and joins sibling prefixes
/// with the same label (two /n halves become one /n-1): coverage is unchanged.
pub fn aggregate(rows: &[Row]) -> Vec<Row> {
    let mut set: BTreeSet<Row> = rows.iter().cloned().collect();
    loop {
        let mut changed = false;
        let mut out: Vec<Row> = Vec::with_capacity(set.len());
        // Group by label so containment and siblings are checked within one owner.
        let mut by_label: std::collections::BTreeMap<&Label, Vec<Cidr>> = Default::default();
        for r in &set {
            by_label.entry(&r.label).or_default().push(r.cidr);
        }
        for (l, mut cs) in by_label {
            cs.sort_by_key(|c| (c.v6, c.start(), c.len));
            let mut kept: Vec<Cidr> = Vec::new();
            for c in cs {
                match kept.last() {
                    Some(p) if p.v6 == c.v6 && p.end() >= c.end() => changed = true,
                    Some(p)
                        if p.v6 == c.v6
                            && p.len == c.len
                            && p.len > 0
                            && (Cidr {
                                len: p.len - 1,
                                ..*p
                            })
                            .start()
                                == p.start()
                            && p.end().checked_add(1) == Some(c.start()) =>
                    {
                        let joined = Cidr {
                            len: p.len - 1,
                            ..*p
                        };
                        kept.pop();
                        kept.push(joined);
                        changed = true;
                    }
                    _ => kept.push(c),
                }
            }
            out.extend(kept.into_iter().map(|c| Row {
                cidr: c,
                label: l.clone(),
            }));
        }
        set = out.into_iter().collect();
        if !changed {
            return set.into_iter().collect();
        }
    }
}

/// Writes rows in the bundled text format, sorted (IPv4 first), after `header` lines
/// (each written as a `#` comment).
pub fn to_tsv(rows: &[Row], header: &[String]) -> String {
    let mut rows = rows.to_vec();
    rows.sort_by_key(|r| (r.cidr.v6, r.cidr.start(), r.cidr.len, r.label.clone()));
    let mut s = String::new();
    for h in header {
        for l in h.lines() {
            s.push_str("# ");
            s.push_str(l);
            s.push('\n');
        }
    }
    for r in rows {
        s.push_str(&format!(
            "{}\t{}\t{}\n",
            r.cidr, r.label.provider, r.label.tag
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidrs(i: &Imported) -> Vec<String> {
        i.rows
            .iter()
            .map(|r| format!("{} {} {}", r.cidr, r.label.provider, r.label.tag))
            .collect()
    }

    #[test]
    fn service_tags_keeps_azurecloud_and_regions() {
        let j = br#"{"changeNumber": 321, "cloud": "Public", "values": [
          {"name": "AzureCloud", "id": "AzureCloud", "properties": {"changeNumber": 9,
             "addressPrefixes": ["20.0.0.0/8", "2603:1000::/24", "bogus"]}},
          {"name": "AzureCloud.eastus", "properties": {"addressPrefixes": ["20.1.0.0/16"]}},
          {"name": "Storage", "properties": {"addressPrefixes": ["20.2.0.0/16"]}},
          {"name": "AzureCloud.westus"}
        ]}"#;
        assert_eq!(detect(j), Format::ServiceTags);
        let i = import(j).unwrap();
        assert_eq!(i.format, "azure-service-tags");
        assert_eq!(i.version.as_deref(), Some("Public changeNumber 321"));
        assert_eq!(
            cidrs(&i),
            [
                "20.0.0.0/8 Azure AzureCloud",
                "2603:1000::/24 Azure AzureCloud",
                "20.1.0.0/16 Azure AzureCloud.eastus"
            ]
        );
        assert_eq!(i.skipped.len(), 2, "{:?}", i.skipped);
        let t = super::super::RangeTable::new(&i.rows);
        assert!(
            matches!(t.lookup("20.1.2.3"), super::super::Lookup::Hosting(l) if l.tag == "AzureCloud.eastus")
        );
        assert!(
            matches!(t.lookup("20.2.0.1"), super::super::Lookup::Hosting(l) if l.tag == "AzureCloud")
        );
    }

    #[test]
    fn aws_ip_ranges() {
        let j = br#"{"syncToken": "1700000000", "createDate": "2023-11-14-22-13-20",
          "prefixes": [
            {"ip_prefix": "52.0.0.0/15", "region": "us-east-1", "service": "AMAZON"},
            {"ip_prefix": "52.0.0.0/15", "region": "us-east-1", "service": "EC2"},
            {"ip_prefix": "3.5.140.0/22", "service": "S3"},
            {"region": "x", "service": "EC2"}
          ],
          "ipv6_prefixes": [{"ipv6_prefix": "2600:1f00::/24", "service": "AMAZON"}]}"#;
        assert_eq!(detect(j), Format::Aws);
        let i = import(j).unwrap();
        assert_eq!(i.version.as_deref(), Some("syncToken 1700000000"));
        assert_eq!(i.rows.len(), 4);
        assert_eq!(i.skipped.len(), 1);
        let t = super::super::RangeTable::new(&i.rows);
        // Equal prefixes: the more specific service name sorts last and wins.
        assert!(
            matches!(t.lookup("52.1.2.3"), super::super::Lookup::Hosting(l) if l.provider == "AWS" && l.tag == "EC2")
        );
        assert!(
            matches!(t.lookup("2600:1f00::1"), super::super::Lookup::Hosting(l) if l.tag == "AMAZON")
        );
    }

    #[test]
    fn gcp_cloud_json() {
        let j = br#"{"syncToken": "x", "creationTime": "2024-01-02T03:04:05.000000",
          "prefixes": [{"ipv4Prefix": "34.1.208.0/20", "service": "Google Cloud", "scope": "africa-south1"},
                       {"ipv6Prefix": "2600:1900:8000::/44", "service": "Google Cloud", "scope": "us-east1"},
                       {"service": "Google Cloud"}]}"#;
        // Has a syncToken like AWS, but GCP's field names win.
        assert_eq!(detect(j), Format::Aws);
        let i = gcp(j).unwrap();
        assert_eq!(
            cidrs(&i),
            [
                "34.1.208.0/20 GCP africa-south1",
                "2600:1900:8000::/44 GCP us-east1"
            ]
        );
        assert_eq!(i.version.as_deref(), Some("2024-01-02T03:04:05.000000"));
        assert_eq!(i.skipped.len(), 1);
        let j2 = br#"{"creationTime": "t", "prefixes": [{"ipv4Prefix": "34.1.208.0/20", "scope": "a"}]}"#;
        assert_eq!(detect(j2), Format::Gcp);
        assert_eq!(import(j2).unwrap().rows.len(), 1);
    }

    #[test]
    fn tsv_format_and_roundtrip() {
        let t = "\u{feff}# version: test 1\n# comment\n\n20.0.0.0/8\tAzure\tAzureCloud\n1.2.3.4/33\tX\ty\n5.6.7.0/24\n9.9.9.9\tQuad9\t\n";
        assert_eq!(detect(t.as_bytes()), Format::Tsv);
        let i = import(t.as_bytes()).unwrap();
        assert_eq!(i.version.as_deref(), Some("test 1"));
        assert_eq!(
            cidrs(&i),
            ["20.0.0.0/8 Azure AzureCloud", "9.9.9.9/32 Quad9 "]
        );
        assert_eq!(i.skipped.len(), 2);
        let out = to_tsv(&i.rows, &["hdr".into()]);
        assert_eq!(
            out,
            "# hdr\n9.9.9.9/32\tQuad9\t\n20.0.0.0/8\tAzure\tAzureCloud\n"
        );
        assert_eq!(tsv(&out).rows.len(), 2);
        assert!(import(b"{not json").is_err());
        assert!(import(&[0xff, 0xfe, 0x00]).is_err());
    }

    #[test]
    fn aggregate_keeps_coverage() {
        let i = tsv("10.0.0.0/25\tA\tt\n10.0.0.128/25\tA\tt\n10.0.1.0/24\tA\tt\n10.0.0.5/32\tA\tt\n10.0.2.0/24\tB\tt\n10.0.3.0/24\tA\tt\n11.0.0.0/24\tA\tt\n11.0.1.0/24\tA\tt\n2603::/17\tA\tt\n2603:8000::/17\tA\tt\n");
        let a = aggregate(&i.rows);
        let s: Vec<String> = a
            .iter()
            .map(|r| format!("{} {}", r.cidr, r.label.provider))
            .collect();
        assert_eq!(
            s,
            [
                "10.0.0.0/23 A",
                "10.0.2.0/24 B",
                "10.0.3.0/24 A",
                "11.0.0.0/23 A",
                "2603::/16 A"
            ]
        );
        // Same answers before and after.
        let before = super::super::RangeTable::new(&i.rows);
        let after = super::super::RangeTable::new(&a);
        for ip in [
            "10.0.0.5",
            "10.0.1.255",
            "10.0.2.1",
            "10.0.3.9",
            "10.0.4.0",
            "11.0.1.1",
            "2603:7fff::1",
            "2604::",
        ] {
            assert_eq!(
                format!("{:?}", before.lookup(ip)),
                format!("{:?}", after.lookup(ip)),
                "{ip}"
            );
        }
    }
}
