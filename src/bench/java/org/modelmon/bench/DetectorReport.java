package org.modelmon.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.modelmon.bench.DetectorBench.Change;
import org.modelmon.bench.DetectorBench.Run;
import org.modelmon.bench.DetectorBench.Scenario;
import org.modelmon.detector.DetectorSettings;

/** The tables and verdicts of {@link DetectorBench}, as Markdown. */
final class DetectorReport {

  static final String DETECTOR = "detector";
  static final double MAX_FALSE_ALARMS = 1.0;
  static final double MAX_MEDIAN_DELAY = 20;

  /**
   * A peer raising at least this many alarms per 30 days of stable traffic "alarms all the time".
   */
  static final double ALL_THE_TIME = 30;

  private final Map<Scenario, List<Run>> results;
  private final DetectorSettings settings;
  private final int days;
  private final List<String> monitors;

  DetectorReport(
      final Map<Scenario, List<Run>> results, final DetectorSettings settings, final int days) {
    this.results = results;
    this.settings = settings;
    this.days = days;
    final Set<String> names = new LinkedHashSet<>();
    results.values().forEach(runs -> runs.forEach(run -> names.addAll(run.outcomes().keySet())));
    this.monitors = List.copyOf(names);
  }

  void print(final PrintStream out) {
    out.printf(
        Locale.ROOT,
        "%n### Stable traffic: false alarms per 30 days, mean over seeds (max)%n%n| scenario |");
    monitors.forEach(m -> out.print(" " + m + " |"));
    out.print("\n|---|");
    monitors.forEach(m -> out.print("---:|"));
    out.println();
    for (final Map.Entry<Scenario, List<Run>> entry : results.entrySet()) {
      if (entry.getKey().change() != Change.NONE) {
        continue;
      }
      out.print("| " + entry.getKey().name() + " |");
      for (final String m : monitors) {
        out.printf(
            Locale.ROOT,
            " %s (%s) |",
            number(falseAlarmsPer30Days(entry.getValue(), m)),
            number(maxFalseAlarmsPer30Days(entry.getValue(), m)));
      }
      out.println();
    }

    out.printf(
        Locale.ROOT,
        "%n### Changes: detection delay in 1-minute windows after the onset, median / p90"
            + " (misses within the horizon)%n%n| scenario | log-loss rise |");
    monitors.forEach(m -> out.print(" " + m + " |"));
    out.print("\n|---|---:|");
    monitors.forEach(m -> out.print("---:|"));
    out.println();
    for (final Map.Entry<Scenario, List<Run>> entry : results.entrySet()) {
      if (entry.getKey().change() == Change.NONE) {
        continue;
      }
      final double rise =
          entry.getValue().stream().mapToDouble(Run::rise).average().orElse(Double.NaN);
      out.printf(Locale.ROOT, "| %s | %+.1f %% |", entry.getKey().name(), 100 * rise);
      for (final String m : monitors) {
        out.print(" " + delayCell(entry.getValue(), m) + " |");
      }
      out.println();
    }
    final int[] before = new int[monitors.size()];
    for (final Map.Entry<Scenario, List<Run>> entry : results.entrySet()) {
      if (entry.getKey().change() != Change.NONE) {
        for (final Run run : entry.getValue()) {
          for (int m = 0; m < monitors.size(); m++) {
            before[m] += run.outcomes().get(monitors.get(m)).falseAlarms();
          }
        }
      }
    }
    out.print("\nFalse alarms before the onsets of all change runs (2-3 days each):");
    for (int m = 0; m < monitors.size(); m++) {
      out.print(" " + monitors.get(m) + " " + before[m] + (m + 1 < monitors.size() ? "," : ""));
    }
    out.println();
    printTargets(out);
  }

  private void printTargets(final PrintStream out) {
    out.printf(
        Locale.ROOT,
        "%n### Targets (k=%s, h=%s, warmup=%d, minBin=%d)%n%n",
        settings.k(),
        settings.h(),
        settings.warmup(),
        settings.minBin());
    // 1. False alarms in every stable scenario.
    final List<String> failing = new ArrayList<>();
    boolean anyStable = false;
    for (final Map.Entry<Scenario, List<Run>> entry : results.entrySet()) {
      if (entry.getKey().change() == Change.NONE) {
        anyStable = true;
        final double rate = falseAlarmsPer30Days(entry.getValue(), DETECTOR);
        if (rate > MAX_FALSE_ALARMS) {
          failing.add(entry.getKey().name() + " (" + number(rate) + ")");
        }
      }
    }
    out.println(
        "- at most 1 false alarm per 30 days in every stable scenario (mean over seeds): "
            + (!anyStable ? "not run" : failing.isEmpty() ? "MET" : "NOT MET: " + failing));
    // 2. +25 % at 100 per minute.
    String step = "not run";
    for (final Map.Entry<Scenario, List<Run>> entry : results.entrySet()) {
      final Scenario s = entry.getKey();
      if (s.change() == Change.STEP && s.rise() == 0.25 && s.rate() == 100) {
        final double median = Stats.median(delays(entry.getValue(), DETECTOR));
        step =
            (median <= MAX_MEDIAN_DELAY ? "MET" : "NOT MET") + " (median " + number(median) + ")";
      }
    }
    out.println("- +25 % step at 100/min found within 20 windows (median): " + step);
    // 3. No peer better on both counts.
    final List<String> dominated = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    for (final Map.Entry<Scenario, List<Run>> entry : results.entrySet()) {
      final Scenario s = entry.getKey();
      if (s.change() == Change.NONE || s.change() == Change.HARDER_INPUTS) {
        continue;
      }
      final double detectorAlarms = stableFalseAlarms(s.rate(), DETECTOR);
      final double detectorDelay = Stats.median(delays(entry.getValue(), DETECTOR));
      for (final String peer : monitors) {
        if (peer.equals(DETECTOR)) {
          continue;
        }
        final double peerAlarms = stableFalseAlarms(s.rate(), peer);
        final double peerDelay = Stats.median(delays(entry.getValue(), peer));
        if (peerAlarms < detectorAlarms && peerDelay < detectorDelay) {
          dominated.add(peer + " on " + s.name());
        }
      }
    }
    out.println(
        "- no peer with both fewer false alarms (all stable scenarios at the same rate) and a"
            + " shorter median delay: "
            + (dominated.isEmpty() ? "MET" : "NOT MET: " + dominated));
    for (final String peer : monitors) {
      if (peer.equals(DETECTOR)) {
        continue;
      }
      for (final Map.Entry<Scenario, List<Run>> entry : results.entrySet()) {
        final Scenario s = entry.getKey();
        if (s.change() == Change.NONE) {
          final double rate = falseAlarmsPer30Days(entry.getValue(), peer);
          if (rate >= ALL_THE_TIME) {
            notes.add(
                peer + " alarms all the time on " + s.name() + " (" + number(rate) + "/30 d)");
          }
        } else if (s.change() != Change.HARDER_INPUTS
            && Arrays.stream(delays(entry.getValue(), peer)).allMatch(Double::isInfinite)) {
          notes.add(peer + " never alarms on " + s.name());
        }
      }
    }
    notes.forEach(note -> out.println("  - " + note));
    // 4. Harder inputs: the detector should stay quiet, the log-loss rule should fire.
    for (final Map.Entry<Scenario, List<Run>> entry : results.entrySet()) {
      final Scenario s = entry.getKey();
      if (s.change() == Change.HARDER_INPUTS) {
        out.print("- " + s.name() + ": alarmed after the onset in");
        for (int m = 0; m < monitors.size(); m++) {
          final long fired =
              Arrays.stream(delays(entry.getValue(), monitors.get(m)))
                  .filter(Double::isFinite)
                  .count();
          out.print(
              " "
                  + monitors.get(m)
                  + " "
                  + fired
                  + "/"
                  + entry.getValue().size()
                  + (m + 1 < monitors.size() ? "," : ""));
        }
        out.println(" runs");
      }
    }
  }

  /** Mean over the stable scenarios at {@code rate} of {@code monitor}'s false alarms per 30 d. */
  private double stableFalseAlarms(final int rate, final String monitor) {
    double total = 0;
    int scenarios = 0;
    for (final Map.Entry<Scenario, List<Run>> entry : results.entrySet()) {
      if (entry.getKey().change() == Change.NONE && entry.getKey().rate() == rate) {
        total += falseAlarmsPer30Days(entry.getValue(), monitor);
        scenarios++;
      }
    }
    return scenarios == 0 ? Double.NaN : total / scenarios;
  }

  private double falseAlarmsPer30Days(final List<Run> runs, final String monitor) {
    return runs.stream().mapToInt(r -> r.outcomes().get(monitor).falseAlarms()).average().orElse(0)
        * 30.0
        / days;
  }

  private double maxFalseAlarmsPer30Days(final List<Run> runs, final String monitor) {
    return runs.stream().mapToInt(r -> r.outcomes().get(monitor).falseAlarms()).max().orElse(0)
        * 30.0
        / days;
  }

  /** Each run's delay, +∞ for a miss. */
  static double[] delays(final List<Run> runs, final String monitor) {
    return runs.stream()
        .map(r -> r.outcomes().get(monitor))
        .mapToDouble(o -> o.delay() < 0 ? Double.POSITIVE_INFINITY : o.delay())
        .toArray();
  }

  private static String delayCell(final List<Run> runs, final String monitor) {
    final double[] delays = delays(runs, monitor);
    final double[] sorted = delays.clone();
    Arrays.sort(sorted);
    final double p90 = sorted[(int) Math.ceil(0.9 * sorted.length) - 1];
    final long misses = Arrays.stream(delays).filter(Double::isInfinite).count();
    return number(Stats.median(delays))
        + " / "
        + number(p90)
        + (misses > 0 ? " (" + misses + ")" : "");
  }

  private static String number(final double value) {
    if (Double.isInfinite(value)) {
      return "miss";
    }
    if (value == Math.rint(value)) {
      return String.format(Locale.ROOT, "%.0f", value);
    }
    return String.format(Locale.ROOT, "%.1f", value);
  }
}
