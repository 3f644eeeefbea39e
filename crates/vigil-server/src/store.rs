//! The journal as the index's document store: search hits are fetched from the system of
//! record by sequence number, so the index never holds a second copy of an event.

use vigil_core::Event;
use vigil_index::EventStore;
use vigil_journal::JournalReader;

/// Looks events up in the journal.
pub struct JournalStore<'a>(pub &'a JournalReader);

impl EventStore for JournalStore<'_> {
    fn fetch(&self, seqs: &[u64]) -> Result<Vec<Event>, String> {
        let records = self.0.get_many(seqs).map_err(|e| e.to_string())?;
        records
            .iter()
            .zip(seqs)
            .map(|(bytes, seq)| {
                Event::from_canonical_bytes(bytes)
                    .map_err(|e| format!("journal record {seq} is not an event: {e}"))
            })
            .collect()
    }
}
