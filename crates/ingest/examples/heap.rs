//! Measures the heap held per normalized record (a counting allocator): run with a file or
//! directory; prints bytes per Activity event and per sign-in, and what the biggest parts hold.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use tokentrail_ingest::{read_path, FileStats, IngestError, ReadOptions, Sink, Skip};
use tokentrail_model::Record;

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
}
#[global_allocator]
static A: Counting = Counting;

#[derive(Default)]
struct Keep(Vec<Record>);
impl Sink for Keep {
    fn record(&mut self, r: Record) {
        self.0.push(r);
    }
    fn skip(&mut self, _: Skip) {}
    fn file_done(&mut self, _: FileStats) {}
    fn error(&mut self, _: IngestError) {}
}

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

fn main() {
    let path = std::env::args().nth(1).expect("path");
    let mut k = Keep::default();
    read_path(std::path::Path::new(&path), &ReadOptions::default(), &mut k);
    k.0.shrink_to_fit();
    let n = k.0.len().max(1) as isize;
    let all = live();
    println!(
        "records {n}, heap {} MB, {} B/record",
        all / 1_000_000,
        all / n
    );
    let mut acts = Vec::new();
    let mut sis = Vec::new();
    for r in k.0.drain(..) {
        match r {
            Record::Activity(a) => acts.push(a),
            Record::SignIn(s) => sis.push(s),
            _ => {}
        }
    }
    let before = live();
    for a in acts.iter_mut() {
        a.properties = Default::default();
    }
    let p = before - live();
    let before = live();
    for a in acts.iter_mut() {
        a.claims = Default::default();
    }
    let c = before - live();
    let mut parts = Vec::new();
    macro_rules! part {
        ($name:expr, $e:expr) => {{
            let before = live();
            for a in acts.iter_mut() {
                let a: &mut tokentrail_model::ActivityEvent = a;
                $e(a);
            }
            parts.push(($name, before - live()));
        }};
    }
    part!("resource", |a: &mut tokentrail_model::ActivityEvent| a
        .resource =
        Default::default());
    part!("http_request", |a: &mut tokentrail_model::ActivityEvent| {
        a.http_request = None
    });
    part!(
        "authorization",
        |a: &mut tokentrail_model::ActivityEvent| a.authorization = None
    );
    part!("operation", |a: &mut tokentrail_model::ActivityEvent| a
        .operation =
        Default::default());
    part!("notes", |a: &mut tokentrail_model::ActivityEvent| a.notes =
        Vec::new());
    part!("times raw", |a: &mut tokentrail_model::ActivityEvent| {
        a.time.raw = String::new();
        a.submission_time = None;
    });
    part!("ids", |a: &mut tokentrail_model::ActivityEvent| {
        a.event_id = String::new();
        a.correlation_id = None;
        a.operation_id = None;
    });
    println!(
        "inline size {} B; parts {:?}",
        std::mem::size_of::<tokentrail_model::ActivityEvent>(),
        parts
            .iter()
            .map(|(n, b)| (n, b / acts.len().max(1) as isize))
            .collect::<Vec<_>>()
    );
    if !acts.is_empty() {
        let na = acts.len() as isize;
        println!(
            "activity {na}: properties {} B/event, claims {} B/event",
            p / na,
            c / na
        );
    }
    if !sis.is_empty() {
        let ns = sis.len() as isize;
        let before = live();
        let facts: Vec<_> = sis
            .iter()
            .map(|s| tokentrail_model::SignIn::clone(s))
            .collect();
        let one = live() - before;
        drop(facts);
        println!(
            "signins {ns}: full record {} B each (boxed size {})",
            one / ns,
            std::mem::size_of::<tokentrail_model::SignIn>()
        );
    }
}
