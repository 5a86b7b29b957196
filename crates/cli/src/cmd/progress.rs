//! Progress bars on stderr while `investigate` runs, shown only when stderr is a terminal
//! (never in pipes, logs, CI or `verify`'s re-run).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::cell::RefCell;
use std::io::IsTerminal;
use std::time::Instant;

pub struct Progress {
    bar: ProgressBar,
    visible: bool,
    /// Phase names with their start instants, for `--timings`.
    phases: RefCell<Vec<(&'static str, Instant)>>,
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
            phases: RefCell::new(vec![("reading inputs", Instant::now())]),
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
        self.phases.borrow_mut().push((what, Instant::now()));
        self.bar.set_message(what);
    }

    /// Wall time of each phase so far, in order (the last phase ends now).
    pub fn timings(&self) -> Vec<(&'static str, f64)> {
        let p = self.phases.borrow();
        let end = Instant::now();
        p.iter()
            .enumerate()
            .map(|(i, (name, start))| {
                let stop = p.get(i + 1).map(|x| x.1).unwrap_or(end);
                (*name, stop.duration_since(*start).as_secs_f64())
            })
            .collect()
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
