package org.modelmon.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import org.modelmon.config.ModelmonConfig;
import org.modelmon.detector.DetectorSettings;
import org.modelmon.detector.DetectorState;
import org.modelmon.detector.DetectorStatus;
import org.modelmon.detector.DriftDetector;
import org.modelmon.detector.WindowEvidence;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/bench detector}: the drift detector on synthetic event-time traffic, against the
 * shipped log-loss alert's arithmetic and MOA's change detectors. Per scenario and over several
 * seeds: false alarms per 30 days of stable traffic, and the median and 90th-percentile detection
 * delay, in 1-minute windows, after a change.
 *
 * <p>The detector only ever sees window sums, so the benchmark draws events cheaply ({@link
 * DriftTraffic}) and feeds the sums straight to {@link DriftDetector}; {@link
 * DetectorTopologyCheck} shows on one series that the real topology raises exactly the same alarms.
 */
@Command(
    name = "bin/bench detector",
    mixinStandardHelpOptions = true,
    description = "False alarms and detection delays of the drift detector and its peers.")
public final class DetectorBench implements Callable<Integer> {

  @Option(names = "--seeds", description = "runs per scenario (default ${DEFAULT-VALUE})")
  int seeds = 7;

  @Option(names = "--days", description = "days of stable traffic (default ${DEFAULT-VALUE})")
  int days = 30;

  @Option(
      names = "--rates",
      split = ",",
      description = "labelled events per minute (default 20,100,2000)")
  List<Integer> rates = List.of(20, 100, 2000);

  /** modelmon's own defaults: the benchmark measures what users get unless told otherwise. */
  private static final DetectorSettings DEFAULTS = ModelmonConfig.defaults().detector();

  @Option(names = "--k", description = "CUSUM allowance (default ${DEFAULT-VALUE})")
  double k = DEFAULTS.k();

  @Option(names = "--h", description = "CUSUM threshold (default ${DEFAULT-VALUE})")
  double h = DEFAULTS.h();

  @Option(names = "--warmup", description = "warm-up windows (default ${DEFAULT-VALUE})")
  int warmup = DEFAULTS.warmup();

  @Option(
      names = "--min-bin",
      description = "least warm-up events of a bin (default ${DEFAULT-VALUE})")
  long minBin = DEFAULTS.minBin();

  @Option(
      names = "--min-labelled",
      description = "least labelled events of an evidence window (default ${DEFAULT-VALUE})")
  long minLabelled = DEFAULTS.minLabelled();

  @Option(names = "--threads", description = "simulation threads (default ${DEFAULT-VALUE})")
  int threads = 2;

  @Option(names = "--only", description = "run only scenarios whose name matches this regex")
  String only = ".*";

  @Option(names = "--skip-topology", description = "skip the end-to-end check")
  boolean skipTopology;

  /** Windows watched after a change's onset before it counts as missed. */
  static final int HORIZON = DriftTraffic.WINDOWS_PER_DAY;

  /** ... and after a slow drift's onset. */
  static final int SLOW_HORIZON = 7 * DriftTraffic.WINDOWS_PER_DAY;

  /** Easy share of inputs normally, and after "harder inputs". */
  static final double EASY_SHARE = 0.5;

  static final double HARDER_EASY_SHARE = 0.0;

  /** Amplitude of the daily cycle of the easy share. */
  static final double CYCLE_AMPLITUDE = 0.4;

  /** Slow drift: nats per day. */
  static final double SLOW_DRIFT_PER_DAY = 0.1;

  static final double CALIBRATED = 1.0;
  static final double OVER_CONFIDENT = 1.6;
  static final double UNDER_CONFIDENT = 0.6;

  public static void main(final String[] args) {
    System.exit(new CommandLine(new DetectorBench()).execute(args));
  }

  enum Change {
    NONE,
    STEP,
    SLOW,
    PRIOR_SHIFT,
    HARDER_INPUTS
  }

  /**
   * A scenario.
   *
   * @param model calibrated, over-confident or under-confident
   * @param temperature T of the model's q = softmax(T·ln p)
   * @param cycle whether the mix of inputs, and so the label mix, follows a daily cycle
   * @param rate mean labelled events per minute (Poisson)
   * @param change what happens at the onset
   * @param rise for a step: the relative rise of the mean log loss
   */
  record Scenario(
      String model, double temperature, boolean cycle, int rate, Change change, double rise) {

    String name() {
      final String what =
          switch (change) {
            case NONE -> "stable";
            case STEP -> String.format(Locale.ROOT, "step +%.0f%%", rise * 100);
            case SLOW -> "slow drift +0.1 nats/day";
            case PRIOR_SHIFT -> "label prior shift";
            case HARDER_INPUTS -> "harder inputs";
          };
      return what + ", " + model + (cycle ? ", daily cycle" : "") + ", " + rate + "/min";
    }
  }

  /** One monitor's outcome on one run. */
  record Outcome(int falseAlarms, int delay) {}

  /** One run's outcomes per monitor, and the series' log-loss rise after the onset. */
  record Run(Map<String, Outcome> outcomes, double rise, double seconds) {}

  @Override
  public Integer call() throws Exception {
    final long started = System.nanoTime();
    final DetectorSettings settings = new DetectorSettings("1m", minLabelled, warmup, minBin, k, h);
    System.out.printf(
        Locale.ROOT,
        "bin/bench detector: k=%s h=%s warmup=%d minBin=%d minLabelled=%d, %d seeds, %d days,"
            + " rates %s, MOA %s%n",
        k,
        h,
        warmup,
        minBin,
        minLabelled,
        seeds,
        days,
        rates,
        MoaChangeDetector.available() ? "on the classpath" : "MISSING (peers skipped)");
    final Pattern filter = Pattern.compile(only);
    final List<Scenario> scenarios = new ArrayList<>();
    for (final int rate : rates) {
      scenarios.add(new Scenario("calibrated", CALIBRATED, false, rate, Change.NONE, 0));
      scenarios.add(new Scenario("over-confident", OVER_CONFIDENT, false, rate, Change.NONE, 0));
      scenarios.add(new Scenario("under-confident", UNDER_CONFIDENT, false, rate, Change.NONE, 0));
      scenarios.add(new Scenario("calibrated", CALIBRATED, true, rate, Change.NONE, 0));
      scenarios.add(new Scenario("over-confident", OVER_CONFIDENT, true, rate, Change.NONE, 0));
    }
    for (final int rate : rates) {
      for (final double rise : new double[] {0.10, 0.25, 0.50}) {
        scenarios.add(new Scenario("calibrated", CALIBRATED, false, rate, Change.STEP, rise));
      }
      scenarios.add(new Scenario("calibrated", CALIBRATED, false, rate, Change.SLOW, 0));
      scenarios.add(new Scenario("calibrated", CALIBRATED, false, rate, Change.PRIOR_SHIFT, 0));
      scenarios.add(new Scenario("calibrated", CALIBRATED, false, rate, Change.HARDER_INPUTS, 0));
    }
    scenarios.removeIf(s -> !filter.matcher(s.name()).find());

    final Map<Double, DriftTraffic> pools = new LinkedHashMap<>();
    for (final double t : new double[] {CALIBRATED, OVER_CONFIDENT, UNDER_CONFIDENT}) {
      pools.put(t, new DriftTraffic(t, 20_261_128L));
    }
    for (final Map.Entry<Double, DriftTraffic> entry : pools.entrySet()) {
      final DriftTraffic traffic = entry.getValue();
      System.out.printf(
          Locale.ROOT,
          "model T=%.1f: mean log loss %.3f nats (easy inputs %.3f, hard %.3f)%n",
          entry.getKey(),
          traffic.meanLogLoss(EASY_SHARE, DriftTraffic.Labels.TRUE),
          traffic.meanLogLoss(1.0, DriftTraffic.Labels.TRUE),
          traffic.meanLogLoss(0.0, DriftTraffic.Labels.TRUE));
    }
    final ExecutorService pool = Executors.newFixedThreadPool(threads);
    final Map<Scenario, List<Future<Run>>> futures = new LinkedHashMap<>();
    try {
      for (final Scenario scenario : scenarios) {
        final List<Future<Run>> runs = new ArrayList<>();
        for (int seed = 1; seed <= seeds; seed++) {
          final long runSeed = scenario.name().hashCode() * 1_000_003L + seed;
          runs.add(
              pool.submit(
                  () -> run(scenario, pools.get(scenario.temperature()), settings, runSeed, days)));
        }
        futures.put(scenario, runs);
      }
      final Map<Scenario, List<Run>> results = new LinkedHashMap<>();
      for (final Map.Entry<Scenario, List<Future<Run>>> entry : futures.entrySet()) {
        final List<Run> runs = new ArrayList<>();
        for (final Future<Run> future : entry.getValue()) {
          runs.add(future.get());
        }
        results.put(entry.getKey(), runs);
        System.err.printf(Locale.ROOT, "  done: %s%n", entry.getKey().name());
      }
      new DetectorReport(results, settings, days).print(System.out);
    } finally {
      pool.shutdownNow();
    }
    if (!skipTopology) {
      if (!DetectorTopologyCheck.run(pools.get(CALIBRATED), settings, System.out)) {
        return 1;
      }
    }
    System.out.printf(Locale.ROOT, "%nwall time: %.1f min%n", (System.nanoTime() - started) / 60e9);
    return 0;
  }

  /** The easy share, label distribution and rotated share of window {@code w}. */
  record WindowMix(double easyShare, DriftTraffic.Labels labels, double rotatedShare) {}

  /** What window {@code w} of {@code scenario} draws from, with the change from {@code onset}. */
  static WindowMix mix(
      final Scenario scenario, final DriftTraffic traffic, final int w, final int onset) {
    double easy = EASY_SHARE;
    if (scenario.cycle()) {
      easy += CYCLE_AMPLITUDE * Math.sin(2 * Math.PI * w / DriftTraffic.WINDOWS_PER_DAY);
    }
    if (scenario.change() == Change.NONE || w < onset) {
      return new WindowMix(easy, DriftTraffic.Labels.TRUE, 0);
    }
    final double base = traffic.meanLogLoss(EASY_SHARE, DriftTraffic.Labels.TRUE);
    final double rotated = traffic.meanLogLoss(EASY_SHARE, DriftTraffic.Labels.ROTATED);
    return switch (scenario.change()) {
      case STEP ->
          new WindowMix(
              easy, DriftTraffic.Labels.ROTATED, scenario.rise() * base / (rotated - base));
      case SLOW ->
          new WindowMix(
              easy,
              DriftTraffic.Labels.ROTATED,
              Math.min(
                  1.0,
                  SLOW_DRIFT_PER_DAY
                      * (w - onset + 1)
                      / DriftTraffic.WINDOWS_PER_DAY
                      / (rotated - base)));
      case PRIOR_SHIFT -> new WindowMix(easy, DriftTraffic.Labels.PRIOR_SHIFT, 0);
      case HARDER_INPUTS -> new WindowMix(HARDER_EASY_SHARE, DriftTraffic.Labels.TRUE, 0);
      case NONE -> throw new IllegalStateException();
    };
  }

  /** One run of a scenario: the series, every monitor on it, and each one's outcome. */
  static Run run(
      final Scenario scenario,
      final DriftTraffic traffic,
      final DetectorSettings settings,
      final long seed,
      final int stableDays) {
    final long started = System.nanoTime();
    final SplittableRandom random = new SplittableRandom(seed);
    final boolean stable = scenario.change() == Change.NONE;
    final int onset;
    final int windows;
    if (stable) {
      onset = Integer.MAX_VALUE;
      windows = stableDays * DriftTraffic.WINDOWS_PER_DAY;
    } else {
      // Two days and a random part of a third first: the rule's day-ago baseline exists, and
      // the change does not always come at the same time of day.
      onset = 2 * DriftTraffic.WINDOWS_PER_DAY + random.nextInt(DriftTraffic.WINDOWS_PER_DAY);
      windows = onset + (scenario.change() == Change.SLOW ? SLOW_HORIZON : HORIZON);
    }
    final List<WindowMonitor> monitors = monitors(settings, windows);
    final int[] falseAlarms = new int[monitors.size()];
    final int[] delay = new int[monitors.size()];
    final boolean[] alarming = new boolean[monitors.size()];
    Arrays.fill(delay, -1);
    final long origin = 0;
    double lossBefore = 0;
    long countBefore = 0;
    double lossAfter = 0;
    long countAfter = 0;
    for (int w = 0; w < windows; w++) {
      final WindowMix mix = mix(scenario, traffic, w, onset);
      final DriftTraffic.WindowSums sums = new DriftTraffic.WindowSums();
      traffic.sample(
          random,
          DriftTraffic.poisson(random, scenario.rate()),
          mix.easyShare(),
          mix.labels(),
          mix.rotatedShare(),
          sums,
          null);
      if (w < onset) {
        lossBefore += sums.logLoss;
        countBefore += sums.labelled;
      } else if (w < onset + HORIZON) {
        lossAfter += sums.logLoss;
        countAfter += sums.labelled;
      }
      final long start = origin + w * DriftTraffic.MINUTE_MILLIS;
      for (int m = 0; m < monitors.size(); m++) {
        final boolean now = monitors.get(m).step(w, start, sums);
        if (now && !alarming[m] && w < onset) {
          falseAlarms[m]++;
        }
        // The first window at or after the onset in which the monitor alarms (also when it was
        // already alarming then: a false alarm that the change finds still on).
        if (now && w >= onset && delay[m] < 0) {
          delay[m] = w - onset + 1;
        }
        alarming[m] = now;
      }
    }
    final Map<String, Outcome> outcomes = new LinkedHashMap<>();
    for (int m = 0; m < monitors.size(); m++) {
      outcomes.put(monitors.get(m).name(), new Outcome(falseAlarms[m], delay[m]));
    }
    final double rise = stable ? 0 : (lossAfter / countAfter) / (lossBefore / countBefore) - 1;
    return new Run(outcomes, rise, (System.nanoTime() - started) / 1e9);
  }

  static List<WindowMonitor> monitors(final DetectorSettings settings, final int windows) {
    final List<WindowMonitor> monitors = new ArrayList<>();
    monitors.add(new DetectorMonitor(settings));
    monitors.add(new CrossEntropyRisingRule(windows));
    if (MoaChangeDetector.available()) {
      monitors.add(MoaChangeDetector.create("PageHinkleyDM"));
      monitors.add(MoaChangeDetector.create("ADWINChangeDetector"));
    }
    return monitors;
  }

  /** The real {@link DriftDetector}, fed the window's sums; alarming while its state is ALARM. */
  static final class DetectorMonitor implements WindowMonitor {

    /** A change of state, as the alarms topic would carry it. */
    record Change(long startMillis, String state, double statistic) {}

    private final DriftDetector detector;
    private DetectorStatus status = DetectorStatus.INITIAL;
    final List<Change> changes = new ArrayList<>();

    DetectorMonitor(final DetectorSettings settings) {
      detector = new DriftDetector(settings);
    }

    @Override
    public String name() {
      return "detector";
    }

    @Override
    public boolean step(
        final int index, final long startMillis, final DriftTraffic.WindowSums sums) {
      final double[] binExcess = new double[DriftTraffic.BINS];
      final double[] binNullVariance = new double[DriftTraffic.BINS];
      for (int b = 0; b < binExcess.length; b++) {
        binExcess[b] = sums.binExcess[b].value();
        binNullVariance[b] = sums.binNullVariance[b].value();
      }
      final WindowEvidence evidence =
          new WindowEvidence(
              startMillis,
              startMillis + DriftTraffic.MINUTE_MILLIS,
              sums.labelled,
              sums.excess.value(),
              sums.nullVariance.value(),
              sums.binLabelled.clone(),
              binExcess,
              binNullVariance);
      final DriftDetector.Step step = detector.next(status, evidence);
      status = step.next();
      if (step.changed()) {
        changes.add(new Change(startMillis, status.state().name(), status.statistic()));
      }
      return status.state() == DetectorState.ALARM;
    }
  }
}
