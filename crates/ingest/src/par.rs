//! Ordered parallelism: normalize batches of raw records on all cores, emit in input order.
//!
//! Framing (reading `next`) is sequential; it overlaps with the parallel parse of the
//! previous batch, which runs on a scoped thread feeding the rayon pool. At most two
//! batches are in flight, so memory stays bounded. Called from a pool thread (several
//! inputs read in parallel), it reads its input on that thread alone: a pool thread that
//! blocked on a helper needing the pool could leave every pool thread waiting on the others.

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
    if rayon::current_thread_index().is_some() {
        // The inputs themselves are spread over the pool: this one is read here, in order.
        while let Some(t) = next()? {
            emit(f(t));
        }
        return Ok(());
    }
    let f = &f;
    let map_batch = move |mut batch: Vec<T>| -> Vec<O> {
        if batch.len() < 64 {
            batch.drain(..).map(f).collect()
        } else {
            batch.par_drain(..).map(f).collect()
        }
    };
    std::thread::scope(|s| {
        let mut pending: Option<std::thread::ScopedJoinHandle<'_, Vec<O>>> = None;
        loop {
            // Frame the next batch while the previous one is being parsed.
            let mut batch: Vec<T> = Vec::with_capacity(BATCH);
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
            let done = err.is_some() || batch.len() < BATCH;
            let prev = pending.take().map(join);
            if done {
                // Last batch: parse it here, no thread needed.
                for o in prev.into_iter().flatten() {
                    emit(o);
                }
                map_batch(batch).into_iter().for_each(&mut emit);
                return match err {
                    Some(e) => Err(e),
                    None => Ok(()),
                };
            }
            pending = Some(s.spawn(move || map_batch(batch)));
            for o in prev.into_iter().flatten() {
                emit(o);
            }
        }
    })
}

/// Waits for a batch; a panic in `f` is re-raised on the calling thread.
fn join<O>(h: std::thread::ScopedJoinHandle<'_, Vec<O>>) -> Vec<O> {
    h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_stops_at_error() {
        for n in [0usize, 1, 63, 64, BATCH, BATCH + 1, 3 * BATCH + 17] {
            let mut i = 0usize;
            let mut out = Vec::new();
            let r: Result<(), ()> = ordered_map(
                || {
                    i += 1;
                    Ok((i <= n).then_some(i))
                },
                |x| x * 2,
                |o| out.push(o),
            );
            assert!(r.is_ok());
            assert_eq!(out, (1..=n).map(|x| x * 2).collect::<Vec<_>>());
        }
        let mut i = 0usize;
        let mut out = Vec::new();
        let r: Result<(), &str> = ordered_map(
            || {
                i += 1;
                if i > BATCH + 5 {
                    Err("boom")
                } else {
                    Ok(Some(i))
                }
            },
            |x| x,
            |o| out.push(o),
        );
        assert_eq!(r, Err("boom"));
        assert_eq!(out.len(), BATCH + 5);
    }

    /// Every pool thread reading a large input of its own at once (a directory of big
    /// files on two cores) must finish, in order, rather than wait on each other.
    #[test]
    fn inputs_read_on_every_pool_thread_at_once_finish() {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // The global pool, as the readers use it: one input per pool thread and more.
            let outs: Vec<Vec<usize>> = (0..2 * rayon::current_num_threads())
                .into_par_iter()
                .map(|_| {
                    let mut i = 0usize;
                    let mut out = Vec::new();
                    let r: Result<(), ()> = ordered_map(
                        || {
                            i += 1;
                            Ok((i <= 5 * BATCH).then_some(i))
                        },
                        |x| x + 1,
                        |o| out.push(o),
                    );
                    assert!(r.is_ok());
                    out
                })
                .collect();
            let _ = tx.send(outs);
        });
        let outs = rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("reading inputs on every pool thread at once did not finish");
        for out in outs {
            assert_eq!(out, (2..=5 * BATCH + 1).collect::<Vec<_>>());
        }
    }
}
