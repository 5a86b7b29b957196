//! Progress bars on stderr while `investigate` runs, shown only when stderr is a terminal
//! (never in pipes, logs, CI or `verify`'s re-run).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::cell::RefCell;
use std::io::IsTerminal;
use std::time::Instant;

pub struct Progress {
    bar: ProgressBar,
    visible: bool,
    /// Phase names with their start instants and CPU seconds, for `--timings`.
    phases: RefCell<Vec<(&'static str, Instant, Option<f64>)>>,
    /// Peak RSS at the end of each finished phase.
    peaks: RefCell<Vec<Option<u64>>>,
}

/// How long one phase took, and the process's peak memory when it ended.
#[derive(Clone, Debug)]
pub struct PhaseTiming {
    pub name: &'static str,
    pub wall: f64,
    /// User + system CPU seconds (above `wall` when the phase ran on several cores).
    pub cpu: Option<f64>,
    /// Peak resident set size of the process so far, in bytes.
    pub peak_rss: Option<u64>,
}

impl Progress {
    /// A bar over `inputs` files; hidden when `quiet` or stderr is not a terminal.
    pub fn new(quiet: bool, inputs: u64) -> Progress {
        let visible = !quiet && std::io::stderr().is_terminal();
        let bar = if !visible {
            ProgressBar::hidden()
        } else {
            let b = ProgressBar::with_draw_target(Some(inputs), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed}] {bar:30} {pos}/{len} inputs  {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        };
        Progress {
            bar,
            visible,
            phases: RefCell::new(vec![(
                "reading inputs",
                Instant::now(),
                super::usage::cpu_seconds(),
            )]),
            peaks: RefCell::new(Vec::new()),
        }
    }

    /// The bar, when it is drawn (for printing lines above it).
    pub fn visible_bar(&self) -> Option<ProgressBar> {
        self.visible.then(|| self.bar.clone())
    }

    pub fn reading(&self, file: &str) {
        self.bar
            .set_message(format!("reading {}", crate::term::clean(file)));
    }

    pub fn inc(&self) {
        self.bar.inc(1);
    }

    pub fn step(&self, what: &'static str) {
        self.peaks.borrow_mut().push(super::usage::peak_rss());
        self.phases
            .borrow_mut()
            .push((what, Instant::now(), super::usage::cpu_seconds()));
        self.bar.set_message(what);
    }

    /// Wall time, CPU time and peak memory of each phase so far, in order (the last phase
    /// ends now).
    pub fn timings(&self) -> Vec<PhaseTiming> {
        let p = self.phases.borrow();
        let peaks = self.peaks.borrow();
        let (end, end_cpu) = (Instant::now(), super::usage::cpu_seconds());
        p.iter()
            .enumerate()
            .map(|(i, (name, start, cpu))| {
                let (stop, stop_cpu) = p.get(i + 1).map(|x| (x.1, x.2)).unwrap_or((end, end_cpu));
                PhaseTiming {
                    name,
                    wall: stop.duration_since(*start).as_secs_f64(),
                    cpu: stop_cpu.zip(*cpu).map(|(b, a)| b - a),
                    peak_rss: peaks.get(i).copied().unwrap_or_else(super::usage::peak_rss),
                }
            })
            .collect()
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A `--timings` memory column.
fn mb(b: Option<u64>) -> String {
    b.map(|b| format!("{:>7} MiB", b / (1024 * 1024)))
        .unwrap_or_else(|| "      ? MiB".into())
}

/// A `--timings` CPU-time column.
fn cpu(c: Option<f64>) -> String {
    c.map(|c| format!("{c:>8.3} s"))
        .unwrap_or_else(|| "       ? s".into())
}

/// Prints one `--timings` line.
pub fn print_phase(p: &PhaseTiming) {
    eprintln!(
        "tokentrail: timing: {:>8.3} s {} {}  {}",
        p.wall,
        cpu(p.cpu),
        mb(p.peak_rss),
        p.name
    );
}

/// Prints `--timings` on stderr: one line per phase, then the total.
pub fn print_timings(t: &[PhaseTiming]) {
    eprintln!("tokentrail: timing:     wall        cpu   peak RSS  phase");
    for p in t {
        print_phase(p);
    }
    let wall: f64 = t.iter().map(|p| p.wall).sum();
    let total_cpu = t.iter().map(|p| p.cpu).sum::<Option<f64>>();
    eprintln!(
        "tokentrail: timing: {wall:>8.3} s {} {}  total (after listing the inputs)",
        cpu(total_cpu),
        mb(t.last().and_then(|p| p.peak_rss))
    );
}
