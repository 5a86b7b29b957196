//! VM and scale-set sizes (detections.md §2.5): GPU N-series families and high-core sizes,
//! read from `hardwareProfile.vmSize` or `sku.name`/`sku.capacity` anywhere in a body
//! (VM, VMSS and deployment template bodies alike).

use crate::detect::json::{find_all, key, scalar_text};
use serde::Serialize;
use serde_json::Value;

/// vCPU count at or above which a size is "high-core".
pub const HIGH_CORES: u32 = 40;

/// Facts about the sizes in one body.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Sizes {
    pub sizes: Vec<String>,
    pub gpu: bool,
    pub high_core: bool,
    pub max_cores: Option<u32>,
    pub capacity: Option<u64>,
}

/// True for GPU N-series sizes (`Standard_NC…`, `ND`, `NV`, `NG`, `NP`).
pub fn is_gpu(size: &str) -> bool {
    let s = size.trim().to_ascii_lowercase();
    let s = s
        .strip_prefix("standard_")
        .or_else(|| s.strip_prefix("basic_"))
        .unwrap_or(&s);
    s.starts_with('n') && s.chars().nth(1).is_some_and(|c| c.is_ascii_alphabetic())
}

/// The first number after the family letters: `Standard_D64s_v3` → 64.
pub fn cores(size: &str) -> Option<u32> {
    let s = size.trim();
    let s = s.split_once('_').map(|(_, r)| r).unwrap_or(s);
    let start = s.find(|c: char| c.is_ascii_digit())?;
    let digits: String = s[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

/// Legacy G / GS sizes (memory- and core-heavy) count as high-core.
fn legacy_g(size: &str) -> bool {
    let s = size.trim().to_ascii_lowercase();
    let s = s.strip_prefix("standard_").unwrap_or(&s);
    s.strip_prefix("gs")
        .or_else(|| s.strip_prefix('g'))
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
}

/// Every size in a body.
pub fn sizes(body: &Value) -> Sizes {
    let mut out = Sizes::default();
    let mut found: Vec<String> = find_all(body, "vmSize")
        .into_iter()
        .filter_map(scalar_text)
        .collect();
    for sku in find_all(body, "sku") {
        if let Some(n) = key(sku, "name").and_then(scalar_text) {
            // Only compute-looking SKU names (storage SKUs are `Standard_LRS`).
            if cores(&n).is_some() || is_gpu(&n) {
                found.push(n);
            }
        }
        if let Some(c) =
            key(sku, "capacity").and_then(|c| c.as_u64().or_else(|| c.as_str()?.parse().ok()))
        {
            out.capacity = Some(out.capacity.map_or(c, |x: u64| x.max(c)));
        }
    }
    found.sort();
    found.dedup();
    for s in &found {
        out.gpu |= is_gpu(s);
        let c = cores(s);
        if let Some(c) = c {
            out.max_cores = Some(out.max_cores.map_or(c, |m| m.max(c)));
        }
        out.high_core |= c.is_some_and(|c| c >= HIGH_CORES) || legacy_g(s);
    }
    out.sizes = found;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn families() {
        assert!(is_gpu("Standard_NC24ads_A100_v4"));
        assert!(is_gpu("standard_nd40rs_v2"));
        assert!(is_gpu("Standard_NV36ads_A10_v5"));
        assert!(!is_gpu("Standard_D4s_v5"));
        assert!(!is_gpu("Standard_B2s"));
        assert_eq!(cores("Standard_D64s_v3"), Some(64));
        assert_eq!(cores("Standard_M416ms_v2"), Some(416));
        assert_eq!(cores("Standard_B1ls"), Some(1));
        assert_eq!(cores("weird"), None);
        assert!(legacy_g("Standard_GS5"));
        assert!(!legacy_g("Standard_D2"));
    }

    #[test]
    fn vm_vmss_and_template_bodies() {
        let vm = json!({"properties": {"hardwareProfile": {"vmSize": "Standard_NC6s_v3"}}});
        let s = sizes(&vm);
        assert!(s.gpu && !s.high_core);
        let vmss = json!({"sku": {"name": "Standard_F72s_v2", "capacity": 20}});
        let s = sizes(&vmss);
        assert!(s.high_core && !s.gpu);
        assert_eq!(s.capacity, Some(20));
        let dep = json!({"properties": {"template": {"resources": [
            {"type": "Microsoft.Compute/virtualMachines", "properties": {"hardwareProfile": {"vmSize": "Standard_B2s"}}},
            {"type": "Microsoft.Storage/storageAccounts", "sku": {"name": "Standard_LRS"}}]}}});
        let s = sizes(&dep);
        assert_eq!(s.sizes, vec!["Standard_B2s".to_string()]);
        assert!(!s.gpu && !s.high_core);
    }
}
