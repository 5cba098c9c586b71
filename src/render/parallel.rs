//! A small work queue for the render: a handful of independent jobs of uneven size (one per
//! template) shared by a few scoped threads.
//!
//! Why not rayon: a render is one to two milliseconds of work in a short-lived process; a
//! global pool would cost more to start than it saves, and scoped threads borrow the template
//! environment and values directly, with no `'static` bounds or reference counting.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The most threads a render uses, the calling thread included. Beyond this the jobs (a few
/// dozen templates) are too small to share further.
const MAX_WORKERS: usize = 4;

/// How many threads to use for `jobs` jobs: one per core, at most [`MAX_WORKERS`], never more
/// than there are jobs.
pub fn workers(jobs: usize) -> usize {
    // Asked once per process: on Linux the answer reads the cgroup's CPU quota from /proc and
    // /sys, about 0.1 ms each time.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from));
    cores.min(MAX_WORKERS).min(jobs).max(1)
}

/// Run `job(0..jobs)` on `workers` threads (the caller's among them) and return the results in
/// job order, whatever order they finished in, so the outcome is deterministic.
///
/// Jobs are handed out in index order as threads become free: give the longest jobs the lowest
/// indices and the load evens out. A panicking job is re-raised on the calling thread.
pub fn map<R: Send>(jobs: usize, workers: usize, job: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= jobs {
                return done;
            }
            done.push((i, job(i)));
        }
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..workers.min(jobs)).map(|_| s.spawn(work)).collect();
        let mut done = work();
        for helper in helpers {
            match helper.join() {
                Ok(theirs) => done.extend(theirs),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        done
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_job_order_whatever_the_thread_count() {
        for workers in 1..=5 {
            let out = map(37, workers, |i| {
                // Uneven jobs, so threads finish out of order.
                std::thread::sleep(std::time::Duration::from_micros(((i * 7) % 5) as u64 * 50));
                i * i
            });
            assert_eq!(out, (0..37).map(|i| i * i).collect::<Vec<_>>(), "{workers}");
        }
    }

    #[test]
    fn no_jobs_no_threads() {
        let out: Vec<()> = map(0, 4, |_| unreachable!());
        assert!(out.is_empty());
    }

    #[test]
    #[should_panic(expected = "job 3")]
    fn a_panicking_job_panics_the_caller() {
        map(8, 2, |i| assert_ne!(i, 3, "job 3"));
    }
}
