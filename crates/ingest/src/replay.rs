//! Reading many small inputs on every core while the sink still sees one file after
//! another: each input is read into its own [`Recorded`] buffer in parallel, then the
//! buffers are replayed into the real sink in input order, so what the sink receives (and
//! everything built from it) is exactly what a sequential read gives. Reading a batch
//! overlaps with the sink taking the previous one.

use crate::pipeline::{read_path, ReadOptions};
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
/// from 8 MB left the peak memory after reading at 2.3 GB.
pub const SMALL_INPUT: u64 = 32 << 20;
/// The most input bytes one parallel batch reads before its buffers are replayed.
const BATCH_BYTES: u64 = 64 << 20;

/// What a sink was told, in order.
enum Call {
    Record(Record),
    Skip(Skip),
    FileDone(Box<FileStats>),
    Error(IngestError),
}

/// A sink that remembers every call, to be replayed later.
#[derive(Default)]
pub struct Recorded(Vec<Call>);

impl Sink for Recorded {
    fn record(&mut self, rec: Record) {
        self.0.push(Call::Record(rec));
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

impl Recorded {
    /// Sends every remembered call to `sink`, in the order they were made.
    pub fn replay(self, sink: &mut dyn Sink) {
        for c in self.0 {
            match c {
                Call::Record(r) => sink.record(r),
                Call::Skip(s) => sink.skip(s),
                Call::FileDone(f) => sink.file_done(*f),
                Call::Error(e) => sink.error(e),
            }
        }
    }
}

/// What a [`PrepareSink`] was told about one input, its records already prepared.
enum PreparedCall<P> {
    Prepared(P),
    Skip(Skip),
    FileDone(Box<FileStats>),
    Error(IngestError),
}

/// A sink that prepares each record as it comes (on the thread reading the input) and
/// remembers the calls, to be replayed into `S` later.
struct Prepped<S: PrepareSink>(Vec<PreparedCall<S::Prepared>>);

impl<S: PrepareSink> Default for Prepped<S> {
    fn default() -> Self {
        Prepped(Vec::new())
    }
}

impl<S: PrepareSink> Sink for Prepped<S> {
    fn record(&mut self, rec: Record) {
        self.0.push(PreparedCall::Prepared(S::prepare(rec)));
    }
    fn skip(&mut self, skip: Skip) {
        self.0.push(PreparedCall::Skip(skip));
    }
    fn file_done(&mut self, stats: FileStats) {
        self.0.push(PreparedCall::FileDone(Box::new(stats)));
    }
    fn error(&mut self, err: IngestError) {
        self.0.push(PreparedCall::Error(err));
    }
}

/// A buffer one small input is read into on a pool thread, and how it reaches the sink.
trait Buffer: Sink + Default + Send {
    /// The sink it is replayed into.
    type Into: Sink + ?Sized;
    fn replay_into(self, sink: &mut Self::Into);
}

impl Buffer for Recorded {
    type Into = dyn Sink + 'static;
    fn replay_into(self, sink: &mut Self::Into) {
        self.replay(sink);
    }
}

impl<S: PrepareSink + 'static> Buffer for Prepped<S> {
    type Into = S;
    fn replay_into(self, sink: &mut S) {
        for c in self.0 {
            match c {
                PreparedCall::Prepared(p) => sink.prepared(p),
                PreparedCall::Skip(s) => sink.skip(s),
                PreparedCall::FileDone(f) => sink.file_done(*f),
                PreparedCall::Error(e) => sink.error(e),
            }
        }
    }
}

/// True for a plain file small enough to buffer whole: directories and compressed files
/// (gzip, zip) are never buffered, since they can hold far more than their size.
fn bufferable(path: &Path, size: u64) -> bool {
    if size > SMALL_INPUT || !path.is_file() {
        return false;
    }
    let mut magic = [0u8; 4];
    let n = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut magic))
        .unwrap_or(0);
    let m = &magic[..n];
    !(m.starts_with(&[0x1f, 0x8b]) || m.starts_with(b"PK"))
}

/// What [`read_all`] does with one stretch of the inputs.
enum Step {
    /// A large or compressed input, streamed straight into the sink.
    Stream(usize),
    /// A run of small inputs (`start..end`), read in parallel into buffers.
    Buffer(usize, usize),
}

/// Splits the inputs into [`Step`]s: runs of small inputs up to [`BATCH_BYTES`] each.
fn plan(inputs: &[(PathBuf, u64)]) -> Vec<Step> {
    let small: Vec<bool> = inputs.iter().map(|(p, n)| bufferable(p, *n)).collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < inputs.len() {
        if !small[i] {
            steps.push(Step::Stream(i));
            i += 1;
            continue;
        }
        let mut j = i;
        let mut bytes = 0;
        while j < inputs.len() && bytes < BATCH_BYTES && small[j] {
            bytes += inputs[j].1;
            j += 1;
        }
        steps.push(Step::Buffer(i, j));
        i = j;
    }
    steps
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
        options,
        sink,
        &mut |p, s| read_path(p, options, s),
        each,
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
    read_buffered::<Prepped<S>>(
        inputs,
        options,
        sink,
        &mut |p, s| read_path(p, options, s),
        each,
    );
}

/// The work of [`read_all`], with small inputs read into buffers of type `B`; `stream`
/// reads a large input straight into the sink.
fn read_buffered<B: Buffer>(
    inputs: &[(PathBuf, u64)],
    options: &ReadOptions,
    sink: &mut B::Into,
    stream: &mut dyn FnMut(&Path, &mut B::Into),
    each: &mut dyn FnMut(usize),
) {
    let steps = plan(inputs);
    std::thread::scope(|s| {
        // One batch waits in the channel while the next is read: at most three are held.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<B>>(1);
        let steps = &steps;
        s.spawn(move || {
            for step in steps {
                if let Step::Buffer(i, j) = *step {
                    let buffers: Vec<B> = inputs[i..j]
                        .par_iter()
                        .map(|(p, _)| {
                            let mut r = B::default();
                            read_path(p, options, &mut r);
                            r
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
                    stream(&inputs[i].0, sink);
                    each(i);
                }
                Step::Buffer(i, _) => {
                    // Fails only when the reading thread panicked; leaving the scope
                    // raises that panic here.
                    let Ok(buffers) = rx.recv() else { return };
                    for (k, b) in buffers.into_iter().enumerate() {
                        b.replay_into(sink);
                        each(i + k);
                    }
                }
            }
        }
    });
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
        let mut seq = Log::default();
        for (p, _) in &inputs {
            read_path(p, &opts, &mut seq);
        }
        let mut par = Log::default();
        let mut order = Vec::new();
        read_all(&inputs, &opts, &mut par, &mut |i| order.push(i));
        assert_eq!(par.0, seq.0);
        assert_eq!(order, (0..inputs.len()).collect::<Vec<_>>());
        // Prepared on the pool threads, the records arrive as the same lines, in order,
        // with the large input (streamed, so taken by `record`) in its place.
        let big = dir.path().join("big.json");
        let mut body = String::new();
        for i in 0..3 {
            body.push_str(&format!(
                "{{\"eventDataId\":\"big{i}\",\"eventTimestamp\":\"2024-06-10T06:13:00Z\",\"operationName\":{{\"value\":\"Microsoft.Compute/virtualMachines/write\"}},\"correlationId\":\"cb{i}\"}}\n"
            ));
        }
        body.push_str(&" ".repeat(SMALL_INPUT as usize));
        std::fs::write(&big, body).unwrap();
        let size = std::fs::metadata(&big).unwrap().len();
        assert!(!bufferable(&big, size));
        inputs.insert(5, (big, size));
        let mut seq = Log::default();
        for (p, _) in &inputs {
            read_path(p, &opts, &mut seq);
        }
        let mut prep = Log::default();
        let mut order = Vec::new();
        read_all_prepared(&inputs, &opts, &mut prep, &mut |i| order.push(i));
        assert_eq!(prep.0, seq.0);
        assert_eq!(order, (0..inputs.len()).collect::<Vec<_>>());
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
        let mut seq = Log::default();
        for (p, _) in &inputs {
            read_path(p, &opts, &mut seq);
        }
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
