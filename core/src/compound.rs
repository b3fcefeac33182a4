//! Support for compound losses made by `#[derive(Loss)]`: tuple statistics and the shape
//! the compound splits its workspace by.

use crate::{Shape, Stats};

/// What a compound accumulates: its members' statistics, in field order, and the shape of
/// the batch they were taken on (finalize splits the workspace by it).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CompoundStats<S> {
    /// The members' statistics.
    pub members: S,
    /// The batch shape seen by pass 1.
    pub shape: Option<Shape>,
}

impl<S: Stats> Stats for CompoundStats<S> {
    fn merge(&mut self, other: &Self) {
        self.members.merge(&other.members);
        self.shape = self.shape.or(other.shape);
    }
}

/// No statistics (for a loss that needs none).
impl Stats for () {
    fn merge(&mut self, _: &Self) {}
}

macro_rules! tuple_stats {
    ($($name:ident $idx:tt),+) => {
        impl<$($name: Stats),+> Stats for ($($name,)+) {
            fn merge(&mut self, other: &Self) {
                $(self.$idx.merge(&other.$idx);)+
            }
        }
    };
}

tuple_stats!(A 0);
tuple_stats!(A 0, B 1);
tuple_stats!(A 0, B 1, C 2);
tuple_stats!(A 0, B 1, C 2, D 3);
tuple_stats!(A 0, B 1, C 2, D 3, E 4);
tuple_stats!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_stats!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_stats!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_stats!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_stats!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_stats!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_stats!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
