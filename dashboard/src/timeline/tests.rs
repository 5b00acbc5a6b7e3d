use super::*;

const MIN: i64 = 60_000;

#[test]
fn ticks_are_round_and_few() {
    let s = Scale::new(1_800_000_000_000 - 90 * MIN, 1_800_000_000_000, 0.0, 100.0);
    let t = s.ticks(8);
    assert!(t.len() <= 8 && t.len() >= 3, "{t:?}");
    assert!(t.iter().all(|x| x % (15 * MIN) == 0), "{t:?}");
    assert!(t.windows(2).all(|w| w[1] - w[0] == t[1] - t[0]));
    assert!(!s.needs_date());
    let days = Scale::new(0, 3 * 86_400_000, 0.0, 100.0);
    assert!(days.needs_date());
    assert_eq!(days.ticks(8).len(), 7, "every 12 hours");
}

#[test]
fn the_transitions_chart_stacks_four_groups_per_bin() {
    let mut bins = [[0usize; 4]; BINS];
    bins[3] = [1, 2, 0, 4];
    let svg = transitions_svg(&bins, 0, DAY_MS);
    assert_eq!(svg.matches("<rect ").count(), 3);
    assert!(svg.contains("4 failed or rolled back now"), "{svg}");
    assert!(svg.contains(r#"<text class="tick""#));
}

#[test]
fn x_is_clamped_to_the_plot() {
    let s = Scale::new(1000, 2000, 10.0, 110.0);
    assert_eq!(s.x(1500), 60.0);
    assert_eq!(s.x(0), 10.0);
    assert_eq!(s.x(5000), 110.0);
    assert_eq!(Scale::new(5, 5, 0.0, 1.0).to, 60_005);
}

#[test]
fn the_range_covers_every_event_and_the_snapshot_time() {
    let ev = |at, until| Event {
        at,
        until,
        kind: EventKind::Run,
        text: String::new(),
        bad: false,
    };
    assert_eq!(job_range(&[], 0, None), None);
    let (from, to) = job_range(
        &[ev(100 * MIN, Some(130 * MIN))],
        120 * MIN,
        Some(150 * MIN),
    )
    .unwrap();
    assert!(from < 100 * MIN && to > 150 * MIN);
}
