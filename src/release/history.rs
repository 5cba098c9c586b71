//! Rules over a release's history: which revision is current, what to prune.

use super::{ReleaseRecord, Status};

/// The revision an upgrade builds on: the newest `deployed` one, else the newest of all.
pub fn current(history: &[ReleaseRecord]) -> Option<&ReleaseRecord> {
    last_deployed(history).or_else(|| history.iter().max_by_key(|r| r.revision))
}

/// The newest `deployed` revision.
pub fn last_deployed(history: &[ReleaseRecord]) -> Option<&ReleaseRecord> {
    history
        .iter()
        .filter(|r| r.status == Status::Deployed)
        .max_by_key(|r| r.revision)
}

/// The newest revision.
pub fn latest(history: &[ReleaseRecord]) -> Option<&ReleaseRecord> {
    history.iter().max_by_key(|r| r.revision)
}

/// Next revision number.
pub fn next_revision(history: &[ReleaseRecord]) -> u32 {
    latest(history).map_or(1, |r| r.revision + 1)
}

/// Revisions to delete so that, once one more record is written, at most `max` remain (0 =
/// unlimited). Oldest first; the newest deployed revision is never chosen (Helm's rule).
pub fn to_prune(history: &[ReleaseRecord], max: usize) -> Vec<u32> {
    if max == 0 || history.len() < max {
        return Vec::new();
    }
    let keep_deployed = last_deployed(history).map(|r| r.revision);
    let mut revs: Vec<u32> = history.iter().map(|r| r.revision).collect();
    revs.sort_unstable();
    let excess = history.len() + 1 - max;
    revs.into_iter()
        .filter(|r| Some(*r) != keep_deployed)
        .take(excess)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::record::tests::sample;
    use super::*;

    #[test]
    fn current_prefers_deployed() {
        let h = vec![
            sample(1, Status::Superseded),
            sample(2, Status::Deployed),
            sample(3, Status::Failed),
        ];
        assert_eq!(current(&h).map(|r| r.revision), Some(2));
        assert_eq!(next_revision(&h), 4);
        let failed_only = vec![sample(1, Status::Failed)];
        assert_eq!(current(&failed_only).map(|r| r.revision), Some(1));
        assert_eq!(next_revision(&[]), 1);
    }

    #[test]
    fn prune_keeps_deployed_and_limit() {
        let h: Vec<_> = (1..=5)
            .map(|r| {
                sample(
                    r,
                    if r == 1 {
                        Status::Deployed
                    } else {
                        Status::Failed
                    },
                )
            })
            .collect();
        assert_eq!(to_prune(&h, 3), vec![2, 3, 4]);
        assert_eq!(to_prune(&h, 10), Vec::<u32>::new());
        assert_eq!(to_prune(&h, 0), Vec::<u32>::new());
    }
}
