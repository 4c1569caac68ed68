//! Several tabs at once: the active tab and the ones the user chose to show with it, side by side,
//! stacked or in a grid, e.g. a TCP server and three clients on one projector screen.

use egui::{Rect, Vec2};

/// How the tabs shown together share the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arrange {
    /// One column each, left to right.
    #[default]
    Columns,
    /// One row each, top to bottom.
    Rows,
    /// As square as possible: 2 × 2 for four tabs.
    Grid,
}

impl Arrange {
    pub const ALL: [Arrange; 3] = [Arrange::Columns, Arrange::Rows, Arrange::Grid];
}

/// At most this many tabs are shown at once; more would be too small to read.
pub const MAX_PANES: usize = 6;

/// A pane lower than this scrolls: the tab gets this height, so its log stays readable.
pub const MIN_PANE_HEIGHT: f32 = 560.0;

/// Space between two panes, where a separator line is drawn.
pub const GAP: f32 = 8.0;

/// Splits `area` into `n` pane rectangles, in reading order (left to right, then down).
pub fn panes(area: Rect, n: usize, arrange: Arrange) -> Vec<Rect> {
    if n == 0 {
        return Vec::new();
    }
    let (cols, rows) = match arrange {
        Arrange::Columns => (n, 1),
        Arrange::Rows => (1, n),
        Arrange::Grid => {
            let cols = (1..=n).find(|c| c * c >= n).unwrap_or(n);
            (cols, n.div_ceil(cols))
        }
    };
    let cell = Vec2::new(
        ((area.width() - GAP * (cols - 1) as f32) / cols as f32).max(1.0),
        ((area.height() - GAP * (rows - 1) as f32) / rows as f32).max(1.0),
    );
    (0..n)
        .map(|i| {
            let (c, r) = (i % cols, i / cols);
            let min = area.min + Vec2::new(c as f32 * (cell.x + GAP), r as f32 * (cell.y + GAP));
            Rect::from_min_size(min, cell)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area() -> Rect {
        Rect::from_min_size(egui::pos2(10.0, 20.0), Vec2::new(808.0, 608.0))
    }

    #[test]
    fn columns_rows_and_grid_cover_the_area_without_overlap() {
        for arrange in Arrange::ALL {
            for n in 1..=MAX_PANES {
                let r = panes(area(), n, arrange);
                assert_eq!(r.len(), n);
                for (i, a) in r.iter().enumerate() {
                    assert!(area().expand(0.01).contains_rect(*a), "{arrange:?} {n}: pane {i} leaves the area");
                    for b in &r[i + 1..] {
                        assert!(!a.shrink(0.01).intersects(*b), "{arrange:?} {n}: panes overlap");
                    }
                }
            }
        }
    }

    #[test]
    fn four_in_a_grid_are_two_by_two() {
        let r = panes(area(), 4, Arrange::Grid);
        assert_eq!(r[0].width(), 400.0);
        assert_eq!(r[0].height(), 300.0);
        assert_eq!(r[3].min, egui::pos2(10.0 + 408.0, 20.0 + 308.0));
        let rows = panes(area(), 2, Arrange::Rows);
        assert_eq!((rows[0].width(), rows[0].height()), (808.0, 300.0));
        assert!(panes(area(), 0, Arrange::Grid).is_empty());
    }
}
