//! Reading many small inputs on every core while the sink still sees one file after
//! another: each input is read into its own [`Recorded`] buffer in parallel, then the
//! buffers are replayed into the real sink in input order, so what the sink receives (and
//! everything built from it) is exactly what a sequential read gives. Reading a batch
//! overlaps with the sink taking the previous one. Small gzip files (hourly diagnostic
//! blobs compressed by whoever exported them) are buffered too, their decompressed size
//! capped; one that expands past the cap is read again, streamed.

use crate::pipeline::{read_file_from, read_path, ReadOptions};
use crate::stats::{FileStats, PrepareSink, Sink, Skip};
use crate::IngestError;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use tokentrail_model::Record;

/// Inputs up to this size are read in parallel batches; larger ones are streamed directly.
/// Hourly diagnostic-settings sign-in files of a busy tenant run to tens of MB: below this
/// size each file is framed and parsed on a pool thread of its own, which keeps both cores
/// busy (a streamed file is framed on the sink's thread). At most three batches of buffered
/// records are held; at 1M Activity events (642 sign-in files of 8–12.5 MB) raising this
/// from 8 MB left the peak memory after reading at 2.3 GB. A buffered gzip file may
/// decompress to this much at most.
pub const SMALL_INPUT: u64 = 32 << 20;
/// The most input bytes one parallel batch reads before its buffers are replayed.
const BATCH_BYTES: u64 = 64 << 20;
/// The most bytes of inputs (as planned: a gzip file counts what it inflates to, at least
/// its own size) one batch reads: batches fill up to 64 MiB, and the last input
/// in may bring up to [`SMALL_INPUT`]. A reader handed inputs by [`Arrival::take`] may
/// need a whole batch's at once.
pub const MOST_BATCH_BYTES: u64 = BATCH_BYTES + SMALL_INPUT;
/// The most inputs one batch reads (a tree of thousands of tiny files still makes batches
/// whose inputs, each with its own buffer, fit where [`MOST_BATCH_BYTES`] does).
pub const MOST_BATCH_FILES: u64 = 2048;

/// What a sink was told, in order; `R` is the record as the buffer keeps it.
enum Call<R> {
    Record(R),
    Skip(Skip),
    FileDone(Box<FileStats>),
    Error(IngestError),
}

/// How a buffer keeps each record until it is replayed.
pub trait Keep {
    type Kept: Send;
    fn keep(rec: Record) -> Self::Kept;
}

/// Records kept as they are.
pub struct AsRead;

impl Keep for AsRead {
    type Kept = Record;
    fn keep(rec: Record) -> Record {
        rec
    }
}

/// Records prepared for the sink `S` on the thread that read them ([`PrepareSink`]).
pub struct PreparedFor<S>(std::marker::PhantomData<S>);

impl<S: PrepareSink> Keep for PreparedFor<S> {
    type Kept = S::Prepared;
    fn keep(rec: Record) -> S::Prepared {
        S::prepare(rec)
    }
}

/// A sink that remembers every call (each record as `K` keeps it), to be replayed later.
pub struct Calls<K: Keep>(Vec<Call<K::Kept>>);

/// Remembers records as they are read.
pub type Recorded = Calls<AsRead>;

impl<K: Keep> Default for Calls<K> {
    fn default() -> Self {
        Calls(Vec::new())
    }
}

impl<K: Keep> Sink for Calls<K> {
    fn record(&mut self, rec: Record) {
        self.0.push(Call::Record(K::keep(rec)));
    }
    fn skip(&mut self, skip: Skip) {
        self.0.push(Call::Skip(skip));
    }
    fn file_done(&mut self, stats: FileStats) {
        self.0.push(Call::FileDone(Box::new(stats)));
    }
    fn error(&mut self, err: IngestError) {
        self.0.push(Call::Error(err));
    }
}

impl<K: Keep> Calls<K> {
    /// Sends every remembered call to `sink` in the order they were made, each kept record
    /// through `record`.
    fn replay_with<T: Sink + ?Sized>(self, sink: &mut T, record: impl Fn(&mut T, K::Kept)) {
        for c in self.0 {
            match c {
                Call::Record(r) => record(sink, r),
                Call::Skip(s) => sink.skip(s),
                Call::FileDone(f) => sink.file_done(*f),
                Call::Error(e) => sink.error(e),
            }
        }
    }
}

impl Recorded {
    /// Sends every remembered call to `sink`, in the order they were made.
    pub fn replay(self, sink: &mut dyn Sink) {
        self.replay_with(sink, |s, r| s.record(r));
    }
}

/// A buffer one small input is read into on a pool thread, and how it reaches the sink.
trait Buffer: Sink + Default + Send {
    /// The sink it is replayed into.
    type Into: Sink + ?Sized;
    fn replay_into(self, sink: &mut Self::Into);
    /// Reads an input that is not buffered straight into the sink.
    fn stream(path: &Path, options: &ReadOptions, sink: &mut Self::Into);
    /// [`Buffer::stream`] with the bytes of `path` read from `reader`.
    fn stream_from(
        path: &Path,
        reader: Box<dyn std::io::Read + Send>,
        options: &ReadOptions,
        sink: &mut Self::Into,
    );
}

impl Buffer for Recorded {
    type Into = dyn Sink + 'static;
    fn replay_into(self, sink: &mut Self::Into) {
        self.replay(sink);
    }
    fn stream(path: &Path, options: &ReadOptions, sink: &mut Self::Into) {
        read_path(path, options, sink);
    }
    fn stream_from(
        path: &Path,
        reader: Box<dyn std::io::Read + Send>,
        options: &ReadOptions,
        sink: &mut Self::Into,
    ) {
        read_file_from(path, reader, options, sink);
    }
}

impl<S: PrepareSink + 'static> Buffer for Calls<PreparedFor<S>> {
    type Into = S;
    fn replay_into(self, sink: &mut S) {
        self.replay_with(sink, |s, p| s.prepared(p));
    }
    fn stream(path: &Path, options: &ReadOptions, sink: &mut S) {
        read_path(path, options, sink);
    }
    fn stream_from(
        path: &Path,
        reader: Box<dyn std::io::Read + Send>,
        options: &ReadOptions,
        sink: &mut S,
    ) {
        read_file_from(path, reader, options, sink);
    }
}

/// How one input is read.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Way {
    /// Streamed straight into the sink (large files, directories, zip archives).
    Stream,
    /// A plain file small enough to buffer whole.
    Buffer,
    /// A small gzip file: buffered with its decompressed size capped at [`SMALL_INPUT`], and
    /// read again, streamed, if it turns out larger (see [`read_one`]).
    BufferGzip,
}

/// How `path` of `size` bytes is read, and about how many bytes buffering it holds.
/// Directories, zip archives and large files are streamed: they can hold far more than their
/// size, and zip needs a temporary file anyway. A gzip file is buffered when its trailer says
/// it inflates to at most [`SMALL_INPUT`] (see [`gzip_size`]): one that would go past the cap
/// is streamed at once rather than read up to the cap and then again.
fn way(path: &Path, size: u64) -> (Way, u64) {
    if size > SMALL_INPUT || !path.is_file() {
        return (Way::Stream, size);
    }
    let Ok(mut f) = std::fs::File::open(path) else {
        // Streaming reports why it cannot be read.
        return (Way::Stream, size);
    };
    let mut magic = [0u8; 4];
    let n = std::io::Read::read(&mut f, &mut magic).unwrap_or(0);
    let m = &magic[..n];
    if m.starts_with(&[0x1f, 0x8b]) {
        match gzip_size(&mut f, size) {
            Some(inflated) if inflated <= SMALL_INPUT => (Way::BufferGzip, inflated),
            _ => (Way::Stream, size),
        }
    } else if m.starts_with(b"PK") {
        (Way::Stream, size)
    } else {
        (Way::Buffer, size)
    }
}

/// What a gzip file of `size` bytes says it inflates to: its last 4 bytes (ISIZE, RFC 1952)
/// hold the last member's length modulo 2^32, exact for a file of one member under 4 GiB.
/// Only a guess for planning: a file of several members, or a lying trailer, still cannot
/// hold more than the cap in memory ([`read_one`]). `None` when it cannot be read.
fn gzip_size(f: &mut std::fs::File, size: u64) -> Option<u64> {
    use std::io::{Read, Seek, SeekFrom};
    if size < 18 {
        return Some(size);
    }
    f.seek(SeekFrom::End(-4)).ok()?;
    let mut isize = [0u8; 4];
    f.read_exact(&mut isize).ok()?;
    Some(u64::from(u32::from_le_bytes(isize)).max(size))
}

/// True for a file [`read_all`] reads into a buffer on a pool thread.
#[cfg(test)]
fn bufferable(path: &Path, size: u64) -> bool {
    way(path, size).0 != Way::Stream
}

/// What [`read_all`] does with one stretch of the inputs.
enum Step {
    /// A large or compressed input, streamed straight into the sink.
    Stream(usize),
    /// A run of small inputs (`start..end`), read in parallel into buffers.
    Buffer(usize, usize),
}

/// Splits the inputs into [`Step`]s: runs of small inputs up to [`BATCH_BYTES`] each.
fn plan(ways: &[(Way, u64)]) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut i = 0;
    while i < ways.len() {
        if ways[i].0 == Way::Stream {
            steps.push(Step::Stream(i));
            i += 1;
            continue;
        }
        let mut j = i;
        let mut bytes = 0;
        while j < ways.len()
            && bytes < BATCH_BYTES
            && ((j - i) as u64) < MOST_BATCH_FILES
            && ways[j].0 != Way::Stream
        {
            bytes += ways[j].1;
            j += 1;
        }
        steps.push(Step::Buffer(i, j));
        i = j;
    }
    steps
}

/// Reads one small input into a new buffer, or gives it up (`None`) when it is a gzip file
/// that decompresses to more than `cap`: nothing of it is kept or reported, and the sink reads
/// it again, streamed, in its turn. The cap applies only below the user's own limit (above
/// it, going past the limit is the error it always is). A small file that expands to gigabytes
/// so never sits in memory as records, and the sink sees what a sequential read gives.
/// `read` reads the input (from its file, or from bytes handed over) into the buffer with
/// the options given.
fn read_one<B: Buffer>(
    way: Way,
    options: &ReadOptions,
    cap: u64,
    read: impl FnOnce(&ReadOptions, &mut B),
) -> Option<B> {
    let mut r = B::default();
    if way != Way::BufferGzip || cap >= options.limits.max_decompressed {
        read(options, &mut r);
        return Some(r);
    }
    let mut capped = options.clone();
    capped.limits.max_decompressed = cap;
    let hits = crate::source::decompress::over_limit_count();
    read(&capped, &mut r);
    (crate::source::decompress::over_limit_count() == hits).then_some(r)
}

/// Reads `inputs` (path and size; any size for a directory) into `sink` as [`read_path`]
/// would one after another.
/// `each` is called once per input, in order, when its records have been delivered.
///
/// Runs of small inputs are read on a thread of their own, one batch ahead: while the sink
/// takes one batch's records, the next batch is being parsed on the pool.
pub fn read_all(
    inputs: &[(PathBuf, u64)],
    options: &ReadOptions,
    sink: &mut (dyn Sink + 'static),
    each: &mut dyn FnMut(usize),
) {
    read_buffered::<Recorded>(
        inputs,
        &Arrival::present(),
        options,
        sink,
        each,
        SMALL_INPUT,
    );
}

/// [`read_all`] into a [`PrepareSink`]: the records of small inputs are prepared on the
/// pool thread that parsed them (large inputs, streamed, reach [`Sink::record`] as usual).
pub fn read_all_prepared<S: PrepareSink + 'static>(
    inputs: &[(PathBuf, u64)],
    options: &ReadOptions,
    sink: &mut S,
    each: &mut dyn FnMut(usize),
) {
    read_arriving_prepared(inputs, &Arrival::present(), options, sink, each);
}

/// Inputs that may still be being written (copied into an evidence bundle on other
/// threads) when reading starts.
pub struct Arrival<'a> {
    /// Waits until input `k` is complete: true when it is, false when it never will be (it
    /// is then not read at all, and `each` is still called for it).
    pub ready: &'a (dyn Fn(usize) -> bool + Sync),
    /// For each input, a path that holds the same bytes already (the original of a copy),
    /// from which how to read it is planned before it arrives.
    pub plan_from: &'a [PathBuf],
    /// For an input that is streamed (a large file, an archive), a reader that follows it
    /// while it is still being written and ends where it ends (see `Copying::follow` in the
    /// report crate), so a large input is read as it arrives; `None` to wait for
    /// [`Arrival::ready`] instead.
    pub follow: Option<&'a Follower<'a>>,
    /// For an input whose whole bytes are in memory already (read by whoever copied it),
    /// a reader of those bytes, given once: waits for the copy, and is then used instead of
    /// opening the input. `None` from it (or no `take`) means the input is opened as
    /// usual.
    pub take: Option<&'a Follower<'a>>,
}

/// See [`Arrival::follow`] and [`Arrival::take`].
pub type Follower<'a> = dyn Fn(usize) -> Option<Box<dyn std::io::Read + Send>> + Sync + 'a;

impl Arrival<'static> {
    /// Inputs complete already (planned from themselves).
    fn present() -> Arrival<'static> {
        fn always(_: usize) -> bool {
            true
        }
        Arrival {
            ready: &always,
            plan_from: &[],
            follow: None,
            take: None,
        }
    }
}

/// [`read_all_prepared`] over inputs still arriving: a small input `k` is opened only once
/// `arrival.ready(k)`, a streamed one is read through `arrival.follow` when given (else once
/// ready). Records reach the sink as [`read_all_prepared`] delivers them.
pub fn read_arriving_prepared<S: PrepareSink + 'static>(
    inputs: &[(PathBuf, u64)],
    arrival: &Arrival<'_>,
    options: &ReadOptions,
    sink: &mut S,
    each: &mut dyn FnMut(usize),
) {
    read_buffered::<Calls<PreparedFor<S>>>(inputs, arrival, options, sink, each, SMALL_INPUT);
}

/// The work of [`read_all`], with small inputs read into buffers of type `B` (a gzip one
/// decompressing to at most `cap` bytes).
fn read_buffered<B: Buffer>(
    inputs: &[(PathBuf, u64)],
    arrival: &Arrival<'_>,
    options: &ReadOptions,
    sink: &mut B::Into,
    each: &mut dyn FnMut(usize),
    cap: u64,
) {
    let ways: Vec<(Way, u64)> = inputs
        .iter()
        .enumerate()
        .map(|(k, (p, n))| way(arrival.plan_from.get(k).unwrap_or(p), *n))
        .collect();
    let steps = plan(&ways);
    let (ready, take) = (arrival.ready, arrival.take);
    std::thread::scope(|s| {
        // One batch waits in the channel while the next is read: at most three are held.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Got<B>>>(1);
        let (steps, ways) = (&steps, &ways);
        s.spawn(move || {
            for step in steps {
                if let Step::Buffer(i, j) = *step {
                    let buffers: Vec<Got<B>> = (i..j)
                        .into_par_iter()
                        .map(|k| {
                            let path = &inputs[k].0;
                            let read = match take.and_then(|t| t(k)) {
                                Some(bytes) => read_one::<B>(ways[k].0, options, cap, |o, b| {
                                    read_file_from(path, bytes, o, b)
                                }),
                                None if !ready(k) => return Got::Never,
                                None => read_one::<B>(ways[k].0, options, cap, |o, b| {
                                    read_path(path, o, b)
                                }),
                            };
                            match read {
                                Some(b) => Got::Read(b),
                                None => Got::Again,
                            }
                        })
                        .collect();
                    if tx.send(buffers).is_err() {
                        return;
                    }
                }
            }
        });
        for step in steps {
            match *step {
                Step::Stream(i) => {
                    let bytes = take.and_then(|t| t(i));
                    match bytes.or_else(|| arrival.follow.and_then(|f| f(i))) {
                        Some(r) => B::stream_from(&inputs[i].0, r, options, sink),
                        None if ready(i) => B::stream(&inputs[i].0, options, sink),
                        None => {}
                    }
                    each(i);
                }
                Step::Buffer(i, _) => {
                    // Fails only when the reading thread panicked; leaving the scope
                    // raises that panic here.
                    let Ok(buffers) = rx.recv() else { return };
                    for (k, b) in buffers.into_iter().enumerate() {
                        match b {
                            Got::Read(b) => b.replay_into(sink),
                            Got::Again => B::stream(&inputs[i + k].0, options, sink),
                            Got::Never => {}
                        }
                        each(i + k);
                    }
                }
            }
        }
    });
}

/// What became of one small input read on the pool.
enum Got<B> {
    Read(B),
    /// Given up (see [`read_one`]): the sink reads it again, streamed.
    Again,
    /// Never complete (see [`Arrival::ready`]): not read.
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Everything a sink saw, as comparable text.
    #[derive(Default)]
    struct Log(Vec<String>);
    impl Sink for Log {
        fn record(&mut self, rec: Record) {
            self.0.push(serde_json::to_string(&rec).unwrap_or_default());
        }
        fn skip(&mut self, skip: Skip) {
            self.0.push(format!("skip {skip:?}"));
        }
        fn file_done(&mut self, stats: FileStats) {
            self.0.push(format!(
                "done {}",
                serde_json::to_string(&stats).unwrap_or_default()
            ));
        }
        fn error(&mut self, err: IngestError) {
            self.0.push(format!("error {err}"));
        }
    }

    /// What reading `inputs` one after another with [`read_path`] tells a sink.
    fn sequential(inputs: &[(PathBuf, u64)], opts: &ReadOptions) -> Log {
        let mut seq = Log::default();
        for (p, _) in inputs {
            read_path(p, opts, &mut seq);
        }
        seq
    }

    /// Prepares a record into the line [`Log`] writes for it.
    impl PrepareSink for Log {
        type Prepared = String;
        fn prepare(rec: Record) -> String {
            serde_json::to_string(&rec).unwrap_or_default()
        }
        fn prepared(&mut self, p: String) {
            self.0.push(p);
        }
        fn note(_: &mut String, _: String) {}
    }

    #[test]
    fn parallel_batches_deliver_what_a_sequential_read_delivers() {
        let dir = tempfile::tempdir().unwrap();
        let mut inputs = Vec::new();
        for n in 0..12 {
            let p = dir.path().join(format!("f{n:02}.json"));
            let body = match n % 4 {
                0 => format!(
                    "{{\"eventDataId\":\"e{n}\",\"eventTimestamp\":\"2024-06-10T06:13:{n:02}Z\",\"operationName\":{{\"value\":\"Microsoft.Compute/virtualMachines/write\"}},\"correlationId\":\"c{n}\"}}\n"
                ),
                1 => "{\"eventDataId\":\"x\"\n".to_string(),
                2 => String::new(),
                _ => "not json at all\n".to_string(),
            };
            std::fs::write(&p, body).unwrap();
            let size = std::fs::metadata(&p).unwrap().len();
            inputs.push((p, size));
        }
        inputs.push((dir.path().join("missing.json"), 10));
        let opts = ReadOptions::default();
        let seq = sequential(&inputs, &opts);
        let mut par = Log::default();
        let mut order = Vec::new();
        read_all(&inputs, &opts, &mut par, &mut |i| order.push(i));
        assert_eq!(par.0, seq.0);
        assert_eq!(order, (0..inputs.len()).collect::<Vec<_>>());
        // Prepared on the pool threads, the records arrive as the same lines, in order,
        // with the large input (streamed, so taken by `record`) in its place.
        let big = dir.path().join("big.json");
        let body = event_lines("big", 3) + &" ".repeat(SMALL_INPUT as usize);
        std::fs::write(&big, body).unwrap();
        let size = std::fs::metadata(&big).unwrap().len();
        assert!(!bufferable(&big, size));
        inputs.insert(5, (big, size));
        let seq = sequential(&inputs, &opts);
        let mut prep = Log::default();
        let mut order = Vec::new();
        read_all_prepared(&inputs, &opts, &mut prep, &mut |i| order.push(i));
        assert_eq!(prep.0, seq.0);
        assert_eq!(order, (0..inputs.len()).collect::<Vec<_>>());
    }

    /// Writes `body` gzip-compressed to `p`.
    /// Inputs written by another thread while they are read: each small one is opened only
    /// once it is ready, a streamed one is read through its follower, how to read each is
    /// planned from an original holding the same bytes, and what the sink sees is a
    /// sequential read of the finished files. An input that never arrives is not read, and
    /// `each` is still called for it.
    #[test]
    fn inputs_arriving_during_the_read_are_read_once_ready() {
        let dir = tempfile::tempdir().unwrap();
        let (orig, copies) = (dir.path().join("orig"), dir.path().join("copies"));
        std::fs::create_dir_all(&orig).unwrap();
        std::fs::create_dir_all(&copies).unwrap();
        let big_body = event_lines("big", 3) + &" ".repeat(SMALL_INPUT as usize);
        let mut originals = Vec::new();
        let mut inputs = Vec::new();
        for n in 0..9 {
            let name = format!("f{n}.json");
            let body = if n == 4 {
                big_body.clone()
            } else {
                event_lines(&format!("f{n}"), n + 1)
            };
            std::fs::write(orig.join(&name), &body).unwrap();
            originals.push(orig.join(&name));
            inputs.push((copies.join(&name), body.len() as u64));
        }
        // Input 6 never arrives (its copy "failed"); the others arrive in order, slowly.
        let arrived = std::sync::Mutex::new(0usize);
        let changed = std::sync::Condvar::new();
        let ready = |k: usize| {
            let mut n = arrived.lock().unwrap();
            while *n <= k && *n < inputs.len() {
                n = changed.wait(n).unwrap();
            }
            k != 6
        };
        // The large input (streamed) is read through a follower, here one that hands over
        // the original's bytes a few at a time, named as the copy.
        struct Trickle(std::fs::File);
        impl std::io::Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(4093);
                self.0.read(&mut buf[..n])
            }
        }
        let follow = |k: usize| -> Option<Box<dyn std::io::Read + Send>> {
            (k == 4).then(|| {
                Box::new(Trickle(std::fs::File::open(&originals[k]).unwrap()))
                    as Box<dyn std::io::Read + Send>
            })
        };
        // Inputs 1, 3 and 7 are handed over as bytes once they arrive: their copies are only
        // written after the read, so opening one instead would read differently.
        const TAKEN: [usize; 3] = [1, 3, 7];
        let take = |k: usize| -> Option<Box<dyn std::io::Read + Send>> {
            TAKEN.contains(&k).then(|| {
                ready(k);
                Box::new(std::io::Cursor::new(std::fs::read(&originals[k]).unwrap()))
                    as Box<dyn std::io::Read + Send>
            })
        };
        let opts = ReadOptions::default();
        let mut got = Log::default();
        let mut order = Vec::new();
        std::thread::scope(|s| {
            s.spawn(|| {
                for (k, (o, (c, _))) in originals.iter().zip(&inputs).enumerate() {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    if k != 6 && !TAKEN.contains(&k) {
                        std::fs::copy(o, c).unwrap();
                    }
                    *arrived.lock().unwrap() += 1;
                    changed.notify_all();
                }
            });
            read_arriving_prepared(
                &inputs,
                &Arrival {
                    ready: &ready,
                    plan_from: &originals,
                    follow: Some(&follow),
                    take: Some(&take),
                },
                &opts,
                &mut got,
                &mut |i| order.push(i),
            );
        });
        for k in TAKEN {
            std::fs::copy(&originals[k], &inputs[k].0).unwrap();
        }
        let mut present = inputs.clone();
        present.remove(6);
        assert_eq!(got.0, sequential(&present, &opts).0);
        assert_eq!(order, (0..inputs.len()).collect::<Vec<_>>());
    }

    /// Batches stop at [`MOST_BATCH_FILES`] inputs as well as at [`BATCH_BYTES`].
    #[test]
    fn a_batch_holds_at_most_so_many_inputs() {
        let runs = |ways: &[(Way, u64)]| -> Vec<(usize, usize)> {
            plan(ways)
                .into_iter()
                .map(|s| match s {
                    Step::Buffer(i, j) => (i, j),
                    Step::Stream(i) => (i, i),
                })
                .collect()
        };
        let n = MOST_BATCH_FILES as usize;
        assert_eq!(
            runs(&vec![(Way::Buffer, 10); 2 * n + 5]),
            [(0, n), (n, 2 * n), (2 * n, 2 * n + 5)]
        );
        assert_eq!(runs(&[(Way::Buffer, 40 << 20); 3]), [(0, 2), (2, 3)]);
    }

    fn gzip(p: &Path, body: &[u8]) {
        use std::io::Write;
        let mut w = flate2::write::GzEncoder::new(
            std::fs::File::create(p).unwrap(),
            flate2::Compression::fast(),
        );
        w.write_all(body).unwrap();
        w.finish().unwrap();
    }

    fn event_lines(tag: &str, n: usize) -> String {
        (0..n)
            .map(|i| {
                format!(
                    "{{\"eventDataId\":\"{tag}-{i}\",\"eventTimestamp\":\"2024-06-10T06:13:00Z\",\"operationName\":{{\"value\":\"Microsoft.Compute/virtualMachines/write\"}},\"correlationId\":\"c{tag}-{i}\"}}\n"
                )
            })
            .collect()
    }

    /// [`read_all_prepared`] with gzip buffers capped at `cap` bytes.
    fn read_capped(
        inputs: &[(PathBuf, u64)],
        options: &ReadOptions,
        sink: &mut Log,
        each: &mut dyn FnMut(usize),
        cap: u64,
    ) {
        read_buffered::<Calls<PreparedFor<Log>>>(
            inputs,
            &Arrival::present(),
            options,
            sink,
            each,
            cap,
        );
    }

    /// Small gzip files are buffered like plain ones; one that decompresses past the cap
    /// (here 4 KiB) is read again, streamed: the sink sees exactly a sequential read, with
    /// no error for the file that went past the cap, and a real error (a broken gzip
    /// stream) is still reported once.
    #[test]
    fn gzip_inputs_past_the_buffer_cap_are_read_again_streamed() {
        let dir = tempfile::tempdir().unwrap();
        let mut inputs = Vec::new();
        for (n, lines) in [3usize, 200, 5, 400, 1].into_iter().enumerate() {
            let p = dir.path().join(format!("g{n}.json.gz"));
            gzip(&p, event_lines(&format!("g{n}"), lines).as_bytes());
            inputs.push(p);
            let q = dir.path().join(format!("p{n}.json"));
            std::fs::write(&q, event_lines(&format!("p{n}"), 2)).unwrap();
            inputs.push(q);
        }
        let broken = dir.path().join("broken.json.gz");
        let mut bytes = Vec::new();
        {
            use std::io::Write;
            let mut w = flate2::write::GzEncoder::new(&mut bytes, flate2::Compression::fast());
            w.write_all(event_lines("b", 300).as_bytes()).unwrap();
            w.finish().unwrap();
        }
        bytes.truncate(bytes.len() / 2);
        std::fs::write(&broken, &bytes).unwrap();
        inputs.push(broken);
        let inputs: Vec<(PathBuf, u64)> = inputs
            .into_iter()
            .map(|p| {
                let n = std::fs::metadata(&p).unwrap().len();
                (p, n)
            })
            .collect();
        // (The broken file's last bytes are no trailer: it may be streamed or buffered.)
        let whole = &inputs[..inputs.len() - 1];
        assert!(whole.iter().all(|(p, n)| bufferable(p, *n)));
        // A small gzip file whose trailer says it inflates past the cap is streamed at once.
        let big = dir.path().join("big.json.gz");
        gzip(&big, " ".repeat(SMALL_INPUT as usize + 1).as_bytes());
        let n = std::fs::metadata(&big).unwrap().len();
        assert!(n < SMALL_INPUT / 100 && !bufferable(&big, n));
        let opts = ReadOptions::default();
        let buffered = |k: usize| {
            let p = &inputs[k].0;
            read_one::<Recorded>(way(p, inputs[k].1).0, &opts, 4096, |o, b| {
                read_path(p, o, b)
            })
            .is_some()
        };
        assert!(buffered(0) && !buffered(2) && buffered(3));
        let seq = sequential(&inputs, &opts);
        let mut par = Log::default();
        let mut order = Vec::new();
        read_capped(&inputs, &opts, &mut par, &mut |i| order.push(i), 4096);
        assert_eq!(par.0, seq.0);
        assert_eq!(order, (0..inputs.len()).collect::<Vec<_>>());
        let errors = par.0.iter().filter(|l| l.starts_with("error ")).count();
        assert_eq!(errors, 1, "only the broken file reports an error");
        let events = par
            .0
            .iter()
            .filter(|l| l.contains("eventDataId") || l.contains("\"event_id\""))
            .count();
        assert!(events >= 3 + 200 + 5 + 400 + 1 + 10, "{events} records");
        // With the user's own limit below the cap, going past it is an error, as streamed.
        let mut small = ReadOptions::default();
        small.limits.max_decompressed = 1024;
        let mut par = Log::default();
        read_capped(&inputs, &small, &mut par, &mut |_| {}, 4096);
        assert_eq!(par.0, sequential(&inputs, &small).0);
    }

    /// Buffered inputs of more records than one parse batch, as many as the pool has
    /// threads and more, are all read (each on a pool thread of its own) and delivered as a
    /// sequential read delivers them.
    #[test]
    fn many_large_buffered_inputs_read_at_once_finish_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut inputs = Vec::new();
        for n in 0..2 * rayon::current_num_threads() {
            let p = dir.path().join(format!("big{n:02}.json"));
            let mut body = String::new();
            for i in 0..crate::par::BATCH + 500 {
                body.push_str(&format!(
                    "{{\"eventDataId\":\"e{n}-{i}\",\"eventTimestamp\":\"2024-06-10T06:13:00Z\",\"operationName\":{{\"value\":\"Microsoft.Compute/virtualMachines/write\"}},\"correlationId\":\"c{n}-{i}\"}}\n"
                ));
            }
            std::fs::write(&p, body).unwrap();
            let size = std::fs::metadata(&p).unwrap().len();
            assert!(bufferable(&p, size));
            inputs.push((p, size));
        }
        let opts = ReadOptions::default();
        let seq = sequential(&inputs, &opts);
        let (tx, rx) = std::sync::mpsc::channel();
        let worker_inputs = inputs.clone();
        std::thread::spawn(move || {
            let mut par = Log::default();
            read_all(
                &worker_inputs,
                &ReadOptions::default(),
                &mut par,
                &mut |_| {},
            );
            let _ = tx.send(par);
        });
        let par = rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("reading the inputs in parallel did not finish");
        assert_eq!(par.0.len(), seq.0.len());
        assert!(par.0 == seq.0);
    }
}
