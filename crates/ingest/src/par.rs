//! Ordered parallelism: normalize batches of raw records on all cores, emit in input order.

use rayon::prelude::*;

/// Records per batch handed to the pool.
pub const BATCH: usize = 2048;

/// Pulls items from `next` in batches, maps each batch in parallel with `f`, and hands the
/// results to `emit` in the original order. Stops at the first error from `next`, after
/// emitting everything read before it.
pub fn ordered_map<T, O, E>(
    mut next: impl FnMut() -> Result<Option<T>, E>,
    f: impl Fn(T) -> O + Sync,
    mut emit: impl FnMut(O),
) -> Result<(), E>
where
    T: Send,
    O: Send,
{
    let mut batch: Vec<T> = Vec::with_capacity(BATCH);
    loop {
        let mut err = None;
        while batch.len() < BATCH {
            match next() {
                Ok(Some(t)) => batch.push(t),
                Ok(None) => break,
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        let done = batch.len() < BATCH;
        let out: Vec<O> = if batch.len() < 64 {
            batch.drain(..).map(&f).collect()
        } else {
            batch.par_drain(..).map(&f).collect()
        };
        out.into_iter().for_each(&mut emit);
        if let Some(e) = err {
            return Err(e);
        }
        if done {
            return Ok(());
        }
    }
}
