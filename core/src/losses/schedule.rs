//! Epoch schedules of the weights of a region loss (Dice) and a boundary-based loss in their
//! compound, as the reference trainings move the weight from one to the other.

use crate::Error;

/// The two weights of a compound at one epoch: `region · L_region + boundary · L_boundary`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Weights {
    /// The weight of the region loss (Dice, or Dice + CE in the reference code).
    pub region: f64,
    /// The weight of the boundary-based loss (boundary or Hausdorff).
    pub boundary: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Rule {
    /// `α` from `start`, `α ← α − step` after each epoch, `α ← floor` once `α ≤ floor`;
    /// weights `(α, 1 − α)`.
    Complementary { start: f64, step: f64, floor: f64 },
    /// Kervadec et al.'s `StealWeight`: `(r, b) ← (max(floor, r − step), b + step)` after each
    /// epoch, from `(start, boundary_start)`.
    Steal {
        start: f64,
        boundary_start: f64,
        step: f64,
        floor: f64,
    },
}

/// The weights of a Dice + boundary or Dice + Hausdorff compound at a given epoch.
///
/// The weights change after each epoch, as the reference loops update them at the end of an
/// epoch: epoch 0 (the first) trains with the start weights. The updates are replayed in
/// `f64` one epoch at a time, as the reference Python code does them, so the weights are the
/// same floats (this takes `O(epoch)` steps for [`Schedule::kervadec`], at most
/// `(start − floor)/step + 1` for the others).
///
/// The compound losses themselves (Dice + boundary, Dice + HD) are assembled elsewhere from
/// these weights.
///
/// ```
/// use segloss::losses::Schedule;
/// let s = Schedule::boundary();
/// assert_eq!(s.at(0).region, 1.0);
/// assert!((s.at(10).region - 0.9).abs() < 1e-12 && (s.at(10).boundary - 0.1).abs() < 1e-12);
/// assert_eq!(s.at(500).region, 0.01);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Schedule {
    rule: Rule,
}

impl Schedule {
    /// Dice + boundary as the paper's code trains it (JunMa11/SegWithDistMap,
    /// `train_LA_BD.py`; the schedule Kervadec et al. describe): `α` starts at 1 and drops by
    /// 0.01 after each epoch to a floor of 0.01; weights `(α, 1 − α)`.
    pub fn boundary() -> Self {
        Schedule {
            rule: Rule::Complementary {
                start: 1.0,
                step: 0.01,
                floor: 0.01,
            },
        }
    }

    /// Dice + Hausdorff as the paper's code trains it (JunMa11/SegWithDistMap,
    /// `train_LA_HD.py`): `α` from 1, down 0.001 per epoch to a floor of 0.001; weights
    /// `(α, 1 − α)`.
    pub fn hausdorff() -> Self {
        Schedule {
            rule: Rule::Complementary {
                start: 1.0,
                step: 0.001,
                floor: 0.001,
            },
        }
    }

    /// The boundary loss authors' released code (LIVIAETS/boundary-loss, `scheduler.py`
    /// `StealWeight(to_steal=0.01)` with initial weights `(1, 0.01)` in `isles.make`): after
    /// each epoch the region weight drops by 0.01 to a floor of **0.1**, and the boundary
    /// weight **grows** by 0.01 without bound; the two do not sum to 1.
    pub fn kervadec() -> Self {
        Schedule {
            rule: Rule::Steal {
                start: 1.0,
                boundary_start: 0.01,
                step: 0.01,
                floor: 0.1,
            },
        }
    }

    /// A complementary schedule `(α, 1 − α)`: `α` from `start`, down `step` per epoch to
    /// `floor`; needs `0 ≤ floor ≤ start ≤ 1` and `step > 0`, all finite.
    pub fn linear(start: f64, step: f64, floor: f64) -> Result<Self, Error> {
        let ok = [start, step, floor].iter().all(|x| x.is_finite())
            && (0.0..=1.0).contains(&start)
            && (0.0..=start).contains(&floor)
            && step > 0.0;
        if !ok {
            return Err(Error::Parameter {
                name: "schedule",
                allowed: "finite, 0 <= floor <= start <= 1 and step > 0",
            });
        }
        Ok(Schedule {
            rule: Rule::Complementary { start, step, floor },
        })
    }

    /// The weights used during epoch `epoch` (0 is the first).
    pub fn at(&self, epoch: u64) -> Weights {
        match self.rule {
            Rule::Complementary { start, step, floor } => {
                let mut alpha = start;
                let mut e = 0;
                // once at the floor, alpha stays there
                while e < epoch && alpha != floor {
                    alpha -= step;
                    if alpha <= floor {
                        alpha = floor;
                    }
                    e += 1;
                }
                Weights {
                    region: alpha,
                    boundary: 1.0 - alpha,
                }
            }
            Rule::Steal {
                start,
                boundary_start,
                step,
                floor,
            } => {
                let (mut region, mut boundary) = (start, boundary_start);
                for _ in 0..epoch {
                    region = floor.max(region - step);
                    boundary += step;
                }
                Weights { region, boundary }
            }
        }
    }
}
