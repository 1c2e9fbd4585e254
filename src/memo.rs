//! Remembered answers of pure functions of a setting key.
//!
//! A repository of thousands of services repeats the same few hundred keys (`env.DEBUG`,
//! `deploy.replicas`) in every service of every environment, and some questions about a key
//! (is it a secret's name? which category is it in?) split it into words and compare them with
//! word lists each time. Each thread remembers its answers: no lock, and a rayon worker sees
//! the same keys again soon. A thread forgets everything once it holds [`CAPACITY`] keys, so
//! keys that never repeat cannot grow it without bound.

use std::cell::RefCell;
use std::thread::LocalKey;

use crate::hash::HashMap;

/// Keys one thread remembers per function before it starts over.
pub const CAPACITY: usize = 4096;

/// One function's answers, per thread: declare with `thread_local!` and ask with [`remember`].
pub type Memo<V> = RefCell<HashMap<Box<str>, V>>;

/// `compute(key)`, answered from `memo` when this thread has asked before.
pub fn remember<V: Copy>(
    memo: &'static LocalKey<Memo<V>>,
    key: &str,
    compute: impl FnOnce(&str) -> V,
) -> V {
    memo.with(|cell| {
        if let Some(&known) = cell.borrow().get(key) {
            return known;
        }
        let value = compute(key);
        let mut map = cell.borrow_mut();
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(key.into(), value);
        value
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        static LENGTHS: Memo<usize> = RefCell::default();
        static CALLS: Cell<usize> = const { Cell::new(0) };
    }

    fn length(key: &str) -> usize {
        remember(&LENGTHS, key, |k| {
            CALLS.with(|c| c.set(c.get() + 1));
            k.len()
        })
    }

    #[test]
    fn a_key_is_computed_once_then_remembered() {
        assert_eq!(length("env.DEBUG"), 9);
        assert_eq!(length("env.DEBUG"), 9);
        assert_eq!(length("deploy.replicas"), 15);
        assert_eq!(CALLS.with(Cell::get), 2);
    }

    #[test]
    fn a_full_memo_starts_over_instead_of_growing() {
        for i in 0..CAPACITY + 10 {
            length(&format!("key{i}"));
        }
        assert!(LENGTHS.with(|m| m.borrow().len()) <= CAPACITY);
        // Still right after starting over.
        assert_eq!(length("key1"), 4);
    }
}
