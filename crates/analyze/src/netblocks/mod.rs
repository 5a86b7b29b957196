//! Hosting-provider IP ranges: a sorted, disjoint range table for IPv4 and IPv6 that says
//! whether an IP from a log belongs to Azure, AWS, GCP or another hosting provider.
//!
//! Ranges may overlap (a region tag inside `AzureCloud`, `EC2` inside `AMAZON`); the table
//! resolves each address to the narrowest range covering it, then merges neighbours with
//! the same label, so a lookup is one binary search. Input IPs are hostile: garbage, ports,
//! zone ids, IPv4-mapped IPv6 or CIDR strings never panic; they are "unknown" at worst.

pub mod import;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::OnceLock;

/// The bundled range list (see the header of `data/hosting-ranges.tsv`).
pub const BUNDLED_TSV: &str = include_str!("../../data/hosting-ranges.tsv");

/// Who a range belongs to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label {
    /// Provider, e.g. `Azure`, `AWS`, `GCP`.
    pub provider: String,
    /// Provider-specific tag, e.g. `AzureCloud`, `EC2`, `us-central1`.
    pub tag: String,
}

/// One CIDR prefix. IPv4 prefixes keep their address in the low 32 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    pub v6: bool,
    pub addr: u128,
    pub len: u8,
}

impl Cidr {
    fn bits(self) -> u8 {
        if self.v6 {
            128
        } else {
            32
        }
    }

    /// Parses `a.b.c.d/n`, `x::/n` or a bare address (a host prefix). The address is
    /// masked to the prefix.
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (ip, len) = match s.split_once('/') {
            Some((ip, n)) => (ip, Some(n.trim().parse::<u8>().ok()?)),
            None => (s, None),
        };
        let (v6, addr) = match ip.trim().parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => (false, u32::from(a) as u128),
            IpAddr::V6(a) => (true, u128::from(a)),
        };
        let bits = if v6 { 128 } else { 32 };
        let len = len.unwrap_or(bits);
        if len > bits {
            return None;
        }
        let c = Cidr { v6, addr, len };
        Some(Cidr {
            addr: c.start(),
            ..c
        })
    }

    /// Number of host bits.
    fn host_bits(self) -> u32 {
        u32::from(self.bits() - self.len)
    }

    pub fn start(self) -> u128 {
        let hb = self.host_bits();
        if hb >= 128 {
            0
        } else {
            (self.addr >> hb) << hb
        }
    }

    pub fn end(self) -> u128 {
        let hb = self.host_bits();
        let span = if hb >= 128 {
            u128::MAX
        } else {
            (1u128 << hb) - 1
        };
        self.start() | span
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.v6 {
            write!(f, "{}/{}", Ipv6Addr::from(self.addr), self.len)
        } else {
            write!(f, "{}/{}", Ipv4Addr::from(self.addr as u32), self.len)
        }
    }
}

/// A disjoint segment of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Segment {
    start: u128,
    end: u128,
    label: u32,
}

/// What the table says about an IP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// The address lies in a hosting range.
    Hosting(&'a Label),
    /// The address parsed and the table has ranges of its family, but none covers it.
    NotHosting,
    /// The input is not an address (or the table has no ranges of its family).
    Unknown,
}

/// The range table: sorted, disjoint segments per family, looked up by binary search.
#[derive(Clone, Debug, Default)]
pub struct RangeTable {
    labels: Vec<Label>,
    v4: Vec<Segment>,
    v6: Vec<Segment>,
    /// Prefix rows the table was built from (after dropping exact duplicates).
    pub prefixes: usize,
    /// Whether the table claims to cover its providers completely. Only then can an address
    /// be said to be in no hosting range; the bundled snapshot is partial, so with it an
    /// address outside every range is merely unknown.
    pub complete: bool,
}

impl RangeTable {
    /// Builds a table from prefix rows; overlaps resolve to the narrowest range.
    pub fn new(rows: &[import::Row]) -> RangeTable {
        let mut labels: Vec<Label> = rows.iter().map(|r| r.label.clone()).collect();
        labels.sort();
        labels.dedup();
        let mut rows: Vec<&import::Row> = rows.iter().collect();
        rows.sort_by(|a, b| (a.cidr, &a.label).cmp(&(b.cidr, &b.label)));
        rows.dedup_by(|a, b| a.cidr == b.cidr && a.label == b.label);
        let prefixes = rows.len();
        // Widest first, so narrower ranges paint over wider ones; equal ranges by label.
        rows.sort_by(|a, b| {
            (a.cidr.v6, a.cidr.len, &a.label).cmp(&(b.cidr.v6, b.cidr.len, &b.label))
        });
        let mut maps: [BTreeMap<u128, (u128, u32)>; 2] = [BTreeMap::new(), BTreeMap::new()];
        for r in rows {
            let label = labels.binary_search(&r.label).unwrap_or(0) as u32;
            paint(
                &mut maps[usize::from(r.cidr.v6)],
                r.cidr.start(),
                r.cidr.end(),
                label,
            );
        }
        let [m4, m6] = maps;
        RangeTable {
            labels,
            v4: merge(m4),
            v6: merge(m6),
            prefixes,
            complete: true,
        }
    }

    /// Parses the bundled-format text (`CIDR<TAB>provider<TAB>tag`, `#` comments).
    pub fn from_tsv(text: &str) -> RangeTable {
        RangeTable::new(&import::tsv(text).rows)
    }

    /// The bundled table, built once.
    pub fn bundled() -> &'static RangeTable {
        static T: OnceLock<RangeTable> = OnceLock::new();
        T.get_or_init(|| RangeTable {
            complete: false,
            ..RangeTable::from_tsv(BUNDLED_TSV)
        })
    }

    /// Disjoint segments (IPv4, IPv6).
    pub fn segments(&self) -> (usize, usize) {
        (self.v4.len(), self.v6.len())
    }

    /// Looks up an IP as found in a log: an address, `ip:port`, `[v6]:port`, `v6%zone`,
    /// an IPv4-mapped IPv6 address, or a CIDR (known only when the whole prefix lies in
    /// one range). Anything else is [`Lookup::Unknown`].
    pub fn lookup(&self, ip: &str) -> Lookup<'_> {
        let Some(c) = parse_ip(ip) else {
            return Lookup::Unknown;
        };
        let segs = if c.v6 { &self.v6 } else { &self.v4 };
        if segs.is_empty() {
            return Lookup::Unknown;
        }
        let (start, end) = (c.start(), c.end());
        let i = segs.partition_point(|s| s.start <= start);
        let hit = i
            .checked_sub(1)
            .and_then(|j| segs.get(j))
            .filter(|s| s.end >= start);
        match hit {
            Some(s) if s.end >= end => match self.labels.get(s.label as usize) {
                Some(l) => Lookup::Hosting(l),
                None => Lookup::Unknown,
            },
            // A CIDR straddling a boundary or partly covered: cannot say.
            Some(_) => Lookup::Unknown,
            None => {
                let next_inside = segs.get(i).is_some_and(|s| s.start <= end);
                if next_inside || !self.complete {
                    Lookup::Unknown
                } else {
                    Lookup::NotHosting
                }
            }
        }
    }
}

/// Parses an IP as logs write it; IPv4-mapped IPv6 becomes IPv4.
fn parse_ip(raw: &str) -> Option<Cidr> {
    let s = raw.trim();
    if s.is_empty() || s.len() > 100 {
        return None;
    }
    let c = if let Ok(sa) = s.parse::<SocketAddr>() {
        Cidr::parse(&sa.ip().to_string())?
    } else {
        let s = s.trim_start_matches('[').trim_end_matches(']');
        let s = match s.split_once('%') {
            Some((ip, _zone)) if !s.contains('/') => ip,
            _ => s,
        };
        Cidr::parse(s)?
    };
    if c.v6 {
        let a = Ipv6Addr::from(c.addr);
        if let Some(v4) = a.to_ipv4_mapped() {
            if c.len >= 96 {
                return Some(Cidr {
                    v6: false,
                    addr: u32::from(v4) as u128,
                    len: c.len - 96,
                });
            }
        }
    }
    Some(c)
}

/// Paints `[start, end]` with `label` over the disjoint map (start -> (end, label)).
fn paint(m: &mut BTreeMap<u128, (u128, u32)>, start: u128, end: u128, label: u32) {
    let mut hit: Vec<(u128, u128, u32)> = Vec::new();
    if let Some((&s, &(e, l))) = m.range(..start).next_back() {
        if e >= start {
            hit.push((s, e, l));
        }
    }
    hit.extend(
        m.range(start..=end)
            .map(|(&s, &(e, l))| (s, e, l))
            .collect::<Vec<_>>(),
    );
    for (s, e, l) in hit {
        m.remove(&s);
        if s < start {
            m.insert(s, (start - 1, l));
        }
        if e > end {
            m.insert(end + 1, (e, l));
        }
    }
    m.insert(start, (end, label));
}

/// Merges touching segments with the same label into a sorted vector.
fn merge(m: BTreeMap<u128, (u128, u32)>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::with_capacity(m.len());
    for (start, (end, label)) in m {
        match out.last_mut() {
            Some(p) if p.label == label && p.end.checked_add(1) == Some(start) => p.end = end,
            _ => out.push(Segment { start, end, label }),
        }
    }
    out
}

/// One sentence for an indicator: "ARM caller IP 20.1.2.3 belongs to Azure (AzureCloud)".
/// `None` when the table cannot say anything about the IP.
pub fn describe(table: &RangeTable, role: &str, ip: &str) -> Option<String> {
    match table.lookup(ip) {
        Lookup::Hosting(l) => Some(format!("{role} {ip} belongs to {} ({})", l.provider, l.tag)),
        Lookup::NotHosting => Some(format!("{role} {ip} is not in any known hosting range")),
        Lookup::Unknown => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(t: &str) -> RangeTable {
        RangeTable::from_tsv(t)
    }

    fn who(t: &RangeTable, ip: &str) -> String {
        match t.lookup(ip) {
            Lookup::Hosting(l) => format!("{}:{}", l.provider, l.tag),
            Lookup::NotHosting => "none".into(),
            Lookup::Unknown => "unknown".into(),
        }
    }

    #[test]
    fn boundaries_and_host_prefixes() {
        let t = table("20.0.0.0/8\tAzure\tAzureCloud\n52.1.2.3/32\tAWS\tEC2\n2603:1000::/24\tAzure\tAzureCloud\n2001:db8::1/128\tX\th\n");
        assert_eq!(who(&t, "19.255.255.255"), "none");
        assert_eq!(who(&t, "20.0.0.0"), "Azure:AzureCloud");
        assert_eq!(who(&t, "20.255.255.255"), "Azure:AzureCloud");
        assert_eq!(who(&t, "21.0.0.0"), "none");
        assert_eq!(who(&t, "52.1.2.3"), "AWS:EC2");
        assert_eq!(who(&t, "52.1.2.4"), "none");
        assert_eq!(who(&t, "52.1.2.2"), "none");
        assert_eq!(who(&t, "2603:10ff:ffff::1"), "Azure:AzureCloud");
        assert_eq!(who(&t, "2603:1100::"), "none");
        assert_eq!(who(&t, "2001:db8::1"), "X:h");
        assert_eq!(who(&t, "2001:db8::2"), "none");
        assert_eq!(who(&t, "0.0.0.0"), "none");
        assert_eq!(who(&t, "255.255.255.255"), "none");
        assert_eq!(who(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "none");
    }

    #[test]
    fn slash_zero_covers_everything() {
        let t = table("0.0.0.0/0\tAll\tv4\n::/0\tAll\tv6\n");
        assert_eq!(who(&t, "0.0.0.0"), "All:v4");
        assert_eq!(who(&t, "255.255.255.255"), "All:v4");
        assert_eq!(who(&t, "::"), "All:v6");
        assert_eq!(who(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), "All:v6");
        assert_eq!(t.segments(), (1, 1));
    }

    #[test]
    fn log_shapes_and_garbage() {
        let t = table("20.0.0.0/8\tAzure\tAzureCloud\n");
        assert_eq!(who(&t, "::ffff:20.1.2.3"), "Azure:AzureCloud");
        assert_eq!(who(&t, "::ffff:21.1.2.3"), "none");
        assert_eq!(who(&t, " 20.1.2.3 "), "Azure:AzureCloud");
        assert_eq!(who(&t, "20.1.2.3:443"), "Azure:AzureCloud");
        assert_eq!(who(&t, "20.1.0.0/16"), "Azure:AzureCloud");
        assert_eq!(who(&t, "16.0.0.0/4"), "unknown");
        assert_eq!(who(&t, "30.0.0.0/8"), "none");
        // IPv6 input while the table has no IPv6 ranges: cannot say.
        assert_eq!(who(&t, "2001:db8::1"), "unknown");
        assert_eq!(who(&t, "[2001:db8::1]:443"), "unknown");
        for g in [
            "",
            "garbage",
            "1.2.3",
            "256.1.1.1",
            "20.1.2.3/33",
            "20.1.2.3/x",
            "::ffff:20.1.2.3/200",
            "fe80::1%eth0%x",
            "💥",
            &"9".repeat(5000),
        ] {
            assert_eq!(who(&t, g), "unknown", "{g}");
        }
        let t6 = table("fe80::/10\tLink\tlocal\n");
        assert_eq!(who(&t6, "fe80::1%eth0"), "Link:local");
        assert_eq!(who(&t6, "[fe80::1]:8080"), "Link:local");
    }

    #[test]
    fn overlaps_resolve_to_narrowest_and_merge() {
        let t = table(
            "10.0.0.0/8\tAWS\tAMAZON\n10.1.0.0/16\tAWS\tEC2\n10.1.0.0/16\tAWS\tAMAZON\n\
             20.0.0.0/9\tAzure\tAzureCloud\n20.128.0.0/9\tAzure\tAzureCloud\n20.0.0.0/9\tAzure\tAzureCloud\n",
        );
        assert_eq!(who(&t, "10.0.0.1"), "AWS:AMAZON");
        assert_eq!(who(&t, "10.1.2.3"), "AWS:EC2");
        assert_eq!(who(&t, "10.2.0.0"), "AWS:AMAZON");
        assert_eq!(who(&t, "20.200.0.1"), "Azure:AzureCloud");
        // 10/8 split in three around 10.1/16, 20/9 + 20.128/9 merged into one.
        assert_eq!(t.segments(), (4, 0));
        assert_eq!(t.prefixes, 5);
    }

    #[test]
    fn describe_words() {
        let t = table("20.0.0.0/8\tAzure\tAzureCloud\n");
        assert_eq!(
            describe(&t, "ARM caller IP", "20.1.2.3").as_deref(),
            Some("ARM caller IP 20.1.2.3 belongs to Azure (AzureCloud)")
        );
        assert_eq!(
            describe(&t, "ARM caller IP", "8.8.8.8").as_deref(),
            Some("ARM caller IP 8.8.8.8 is not in any known hosting range")
        );
        assert_eq!(describe(&t, "ARM caller IP", "nope"), None);
    }

    #[test]
    fn bundled_table_loads() {
        let t = RangeTable::bundled();
        assert!(t.prefixes > 0);
        let (v4, v6) = t.segments();
        assert!(v4 > 0 && v6 > 0);
    }
}
