//! Reordering large records in place. A stable parallel sort of the records themselves
//! (rayon's merge sort) allocates a buffer as long as the slice; sorting small
//! (key, position) pairs and then moving each record into place needs one position per
//! record instead.

/// Reorders `v` so that `v[i]` becomes the element that was at `order[i]`. `order` must be
/// a permutation of `0..v.len()` (anything else leaves `v` in some order of its elements).
/// Each element is moved once, along the permutation's cycles.
pub fn apply<T>(v: &mut [T], mut order: Vec<usize>) {
    for start in 0..v.len().min(order.len()) {
        let mut cur = start;
        // The element that was at `start` travels along the cycle, one swap per step.
        while let Some(&next) = order.get(cur) {
            if next == start || next >= v.len() {
                break;
            }
            v.swap(cur, next);
            order[cur] = cur;
            cur = next;
        }
        if let Some(o) = order.get_mut(cur) {
            *o = cur;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn matches_a_stable_sort() {
        let items: Vec<(u8, u32)> = [3u8, 1, 3, 0, 2, 1, 3, 0, 0, 2]
            .iter()
            .enumerate()
            .map(|(i, &k)| (k, i as u32))
            .collect();
        let mut want = items.clone();
        want.sort_by_key(|x| x.0);
        let mut keyed: Vec<(u8, usize)> = items.iter().enumerate().map(|(i, x)| (x.0, i)).collect();
        keyed.sort_unstable();
        let mut got = items.clone();
        apply(&mut got, keyed.into_iter().map(|k| k.1).collect());
        assert_eq!(got, want);
    }

    #[test]
    fn identity_and_reverse() {
        let mut v: Vec<u32> = (0..7).collect();
        apply(&mut v, (0..7).collect());
        assert_eq!(v, (0..7).collect::<Vec<_>>());
        apply(&mut v, (0..7).rev().collect());
        assert_eq!(v, (0..7).rev().collect::<Vec<_>>());
    }
}
