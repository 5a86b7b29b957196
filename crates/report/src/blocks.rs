//! Writing long Markdown outputs (`notes.md`, `commands/*.md`) in blocks: text is gathered
//! in a `String` with `write!` and handed to the writer once a block is full, so a file of
//! hundreds of MB is never held whole in memory.

use std::io::{self, Write};

/// Bytes of text gathered before they are written out.
pub const BLOCK: usize = 1 << 16;

/// Writes `text` to `w` and empties it once it holds a whole block.
pub fn spill(w: &mut dyn Write, text: &mut String) -> io::Result<()> {
    if text.len() >= BLOCK {
        w.write_all(text.as_bytes())?;
        text.clear();
    }
    Ok(())
}
