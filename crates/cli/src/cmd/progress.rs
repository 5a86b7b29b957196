//! Progress bars on stderr while `investigate` runs, shown only when stderr is a terminal
//! (never in pipes, logs, CI or `verify`'s re-run).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar over `inputs` files; hidden when `quiet` or stderr is not a terminal.
    pub fn new(quiet: bool, inputs: u64) -> Progress {
        let bar = if quiet || !std::io::stderr().is_terminal() {
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
        Progress { bar }
    }

    pub fn reading(&self, file: &str) {
        self.bar
            .set_message(format!("reading {}", crate::term::clean(file)));
    }

    pub fn inc(&self) {
        self.bar.inc(1);
    }

    pub fn step(&self, what: &'static str) {
        self.bar.set_message(what);
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
