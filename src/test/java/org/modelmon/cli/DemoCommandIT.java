package org.modelmon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.modelmon.testing.PrometheusText;

/**
 * {@code modelmon demo} as a user runs it, in its own JVM: with its HTTP and broker ports taken it
 * falls back to free ones, shows window results for every model, prints the live summary, lets
 * digits v1 drift while fraud v1 stays level, prints a line when each drift detector's warm-up is
 * over and when digits v1's raises the alarm, within two minutes of the drift and with none for
 * the other models, and on SIGTERM exits 0 leaving no broker process and no data directory
 * behind; its console shows its own lines only, the log goes to a file.
 *
 * <p>The drift comes after the detectors' warm-up of 12 windows of 10 s, so the first test runs
 * about four minutes of demo time.
 */
class DemoCommandIT {

  /** After the warm-up's 12 windows of 10 s, the first one partial, with 15 s to spare. */
  private static final Duration DRIFT_AFTER = Duration.ofSeconds(135);

  private static final Duration RESULTS_TIMEOUT = DRIFT_AFTER.plusSeconds(85);

  /** What the demo must show: the degrading model's alarm within two minutes of its drift. */
  private static final Duration ALARM_WITHIN = Duration.ofMinutes(2);

  /** How long into the demo the test watches the other models stay without alarm. */
  private static final Duration WATCH_UNTIL = Duration.ofMinutes(4);

  private static final Pattern ALARM_LINE =
      Pattern.compile("(?m)^\\s*(\\d+):(\\d{2})  (ALARM|WATCHING) (\\S+ v\\d): (.*)$");
  private static final Pattern SUMMARY_TIME =
      Pattern.compile("(?m)^\\s*(\\d+):(\\d{2})  dead letters");
  private static final List<String> SERIES = List.of("fraud v1", "fraud v2", "digits v1");

  /** Windows with fewer events are too noisy to compare; partial first windows can be tiny. */
  private static final int MIN_WINDOW_EVENTS = 200;

  private static final Pattern METRICS_URL =
      Pattern.compile("metrics\\s+http://localhost:(\\d+)/metrics");
  private static final Pattern DATA_DIR = Pattern.compile("data in (\\S+) \\(deleted on exit\\)");
  private static final Pattern LOG_FILE = Pattern.compile("(?m)^modelmon demo: log in (\\S+)$");

  /** What a logger line on the console would show: a level, a Kafka logger, a stack trace. */
  private static final Pattern LOGGER_LINE =
      Pattern.compile(
          "level=|\\b(TRACE|DEBUG|INFO|WARN|WARNING|ERROR)\\b|org\\.apache\\.kafka|kafka\\."
              + "|Exception|^\\s+at ");

  private final HttpClient http = HttpClient.newHttpClient();
  private Path workDir;
  private Path childTmp;
  private Process process;
  private long launchNanos;
  private double firstResultSeconds = Double.NaN;

  @BeforeEach
  void createWorkDir() throws IOException {
    workDir = Files.createTempDirectory("modelmon-demo-it");
    childTmp = Files.createDirectories(workDir.resolve("tmp"));
  }

  @AfterEach
  void cleanUp() throws IOException, InterruptedException {
    if (process != null && process.isAlive()) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    Utils.delete(workDir.toFile());
  }

  /** Starts {@code modelmon demo ARGS} in a child JVM whose temp dir is this test's. */
  private Process startDemo(final Path stdout, final Path stderr, final String... args)
      throws IOException {
    final List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Djava.io.tmpdir=" + childTmp);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(Main.class.getName());
    command.add("demo");
    command.addAll(List.of(args));
    return new ProcessBuilder(command)
        .redirectOutput(stdout.toFile())
        .redirectError(stderr.toFile())
        .start();
  }

  @Test
  void shouldShowDriftOfOneModelAndStopCleanlyOnSigterm() throws Exception {
    final Path stdout = workDir.resolve("demo.out");
    final Path stderr = workDir.resolve("demo.err");
    try (ServerSocket takenHttp = new ServerSocket();
        ServerSocket takenBroker = new ServerSocket()) {
      takenHttp.bind(new InetSocketAddress(0));
      takenBroker.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      process =
          startDemo(
              stdout,
              stderr,
              "--rate",
              "300",
              "--duration",
              "330s",
              "--drift-after",
              DRIFT_AFTER.toSeconds() + "s",
              "--seed",
              "7",
              "--http-port",
              Integer.toString(takenHttp.getLocalPort()),
              "--broker-port",
              Integer.toString(takenBroker.getLocalPort()));
      launchNanos = System.nanoTime();

      // Given: the introduction, printed once traffic has started.
      final String introduction = awaitOutput(stdout, stderr, "Traffic: 300 events/s");
      final long trafficSeenMillis = System.currentTimeMillis();
      assertThat(introduction)
          .contains("HTTP port " + takenHttp.getLocalPort() + " is in use")
          .contains("Kafka port " + takenBroker.getLocalPort() + " is in use")
          .contains("status page  http://localhost:")
          .contains("/api/v1/models")
          .contains("/health/ready");
      final int port = Integer.parseInt(group(METRICS_URL, introduction));
      assertThat(port).isNotEqualTo(takenHttp.getLocalPort());
      final Path dataDir = Path.of(group(DATA_DIR, introduction));
      assertThat(dataDir).startsWith(childTmp).isDirectory();
      final Path logFile = Path.of(group(LOG_FILE, introduction));
      final List<ProcessHandle> descendants = process.descendants().toList();
      assertThat(descendants).as("the broker runs as a child JVM").isNotEmpty();

      // When: traffic runs past the drift.
      final Map<String, TreeMap<Double, Window>> windows =
          collectWindows(port, trafficSeenMillis, stdout, stderr);
      System.out.printf(
          "DemoCommandIT: first window results %.1f s after launch%n", firstResultSeconds);

      // Then: digits v1's log loss rises while fraud v1 stays near its level.
      final double traffic = trafficSeenMillis / 1000.0;
      final Level digits = level(windows.get("digits v1"), traffic);
      final Level fraud = level(windows.get("fraud v1"), traffic);
      assertThat(digits.after())
          .as("digits v1 log loss " + digits)
          .isGreaterThan(1.5 * digits.before());
      assertThat(fraud.after() / fraud.before())
          .as("fraud v1 log loss " + fraud)
          .isBetween(0.5, 2.0);

      final String summary = Files.readString(stdout);
      assertThat(summary)
          .containsPattern("time\\s+model\\s+version\\s+events\\s+log loss\\s+excess\\s+z\\s+KL")
          .containsPattern("(?m)^\\s+\\d+:\\d{2}\\s+digits\\s+v1\\s+\\d+\\s+\\d+\\.\\d{3}\\s+-?\\d")
          .containsPattern("(?m)^\\s+\\d+:\\d{2}\\s+fraud\\s+v1\\s+\\d+\\s+\\d+\\.\\d{3}\\s+-?\\d")
          .containsPattern("(?m)^\\s+\\d+:\\d{2}\\s+fraud\\s+v2\\s+\\d+\\s+\\d+\\.\\d{3}\\s+-?\\d")
          .containsPattern("dead letters: [1-9]\\d* \\(")
          .contains("drift: digits v1");

      // The detectors: a line per change of state, on the demo's clock. Each warm-up is over
      // before the drift; digits v1's alarm comes within two minutes of the drift, dated from
      // about when the drift began; fraud v1 and v2 raise none until four minutes in.
      final List<DetectorLine> changes = awaitAlarmUntil(stdout, stderr, WATCH_UNTIL);
      assertThat(changes)
          .as("changes of state")
          .filteredOn(line -> line.state().equals("WATCHING"))
          .extracting(DetectorLine::series)
          .containsExactlyInAnyOrderElementsOf(SERIES);
      assertThat(changes)
          .filteredOn(line -> line.state().equals("WATCHING"))
          .allSatisfy(line -> assertThat(line.text()).startsWith("watching its log loss (warm-up"));
      assertThat(changes)
          .filteredOn(line -> line.state().equals("ALARM"))
          .singleElement()
          .satisfies(
              alarm -> {
                assertThat(alarm.series()).isEqualTo("digits v1");
                assertThat(alarm.at())
                    .isGreaterThan(DRIFT_AFTER)
                    .isLessThanOrEqualTo(DRIFT_AFTER.plus(ALARM_WITHIN));
                assertThat(alarm.text())
                    .matches(
                        "log loss above what the model expects \\(S 12\\.0 ≥ h 12\\.0\\),"
                            + " change from \\d+:\\d{2}");
                final Duration changeFrom = clock(alarm.text().replaceAll(".* from ", ""));
                // The start of the run of S above 0 that led to the alarm: the drift's 10 s
                // window, or a little earlier when noise had lifted S above 0 just before.
                assertThat(changeFrom)
                    .as("the estimated start of the change")
                    .isBetween(DRIFT_AFTER.minusSeconds(60), DRIFT_AFTER);
              });
      System.out.println("DemoCommandIT: detector lines " + changes);

      process.destroy(); // SIGTERM
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped within 60 s").isTrue();
      assertThat(process.exitValue()).as(tail(stderr)).isZero();
      assertThat(Files.readString(stdout)).contains("modelmon demo stopped.");
      assertThat(descendants).noneMatch(ProcessHandle::isAlive);
      assertThat(dataDir).doesNotExist();
      try (Stream<Path> left = Files.list(childTmp)) {
        assertThat(left.filter(p -> !p.equals(logFile)).map(p -> p.getFileName().toString()))
            .noneMatch(name -> name.startsWith("modelmon-"));
      }
      assertThat(logFile).as("the log outlives the data directory").isRegularFile();
      System.out.printf(
          "DemoCommandIT: whole run %.1f s%n", (System.nanoTime() - launchNanos) / 1e9);
    }
  }

  @Test
  void shouldShowOnlyItsOwnLinesAndLogToTheFileItNames() throws Exception {
    final Path stdout = workDir.resolve("demo.out");
    final Path stderr = workDir.resolve("demo.err");
    process = startDemo(stdout, stderr, "--duration", "20s", "--http-port", "0");

    assertThat(process.waitFor(180, TimeUnit.SECONDS)).as("finished within 180 s").isTrue();
    final String out = Files.readString(stdout);
    final String err = Files.readString(stderr);
    assertThat(process.exitValue()).as(out + err).isZero();

    // The console: the log's path first, the introduction, the summary, the stop line naming the
    // log again; no logger line on either stream.
    final Path logFile = Path.of(group(LOG_FILE, out));
    assertThat(out.lines().findFirst()).contains("modelmon demo: log in " + logFile);
    assertThat(out)
        .contains("status page  http://localhost:")
        .containsPattern("time\\s+model\\s+version\\s+events")
        .contains("modelmon demo stopped. Log: " + logFile);
    assertThat(err).as("stderr").isEmpty();
    assertThat(out.lines().filter(line -> LOGGER_LINE.matcher(line).find()))
        .as("logger lines on stdout")
        .isEmpty();

    // The log file: outside the deleted data directory, with modelmon's, Kafka Streams' and the
    // broker's lines.
    assertThat(logFile).startsWith(childTmp).isRegularFile();
    final String log = Files.readString(logFile);
    assertThat(log)
        .contains("level=INFO thread=main logger=EmbeddedKafkaBroker msg=\"Kafka broker started")
        .containsPattern(
            "logger=ModelmonApplication msg=\"Stream state changed\" from=\"REBALANCING\"")
        .containsPattern(
            "(?m)^\\S+ INFO  \\[main\\] kafka\\.server\\.KafkaRaftServer - .*Kafka Server started")
        .contains("Kafka broker stopped");
    try (Stream<Path> left = Files.list(childTmp)) {
      assertThat(left.filter(p -> p.getFileName().toString().startsWith("modelmon-")))
          .containsExactly(logFile);
    }
  }

  /**
   * Polls {@code /metrics} once a second and keeps every 10s window seen, per model and version,
   * until digits v1 and fraud v1 each have a full window that began after the drift.
   */
  private Map<String, TreeMap<Double, Window>> collectWindows(
      final int port, final long trafficSeenMillis, final Path stdout, final Path stderr)
      throws IOException, InterruptedException {
    final URI metrics = URI.create("http://127.0.0.1:" + port + "/metrics");
    final long deadline = System.nanoTime() + RESULTS_TIMEOUT.toNanos();
    final double postDriftStart = trafficSeenMillis / 1000.0 + DRIFT_AFTER.toSeconds() + 1;
    final Map<String, TreeMap<Double, Window>> windows = new HashMap<>();
    while (System.nanoTime() < deadline) {
      assertThat(process.isAlive()).as(tail(stderr)).isTrue();
      final PrometheusText text = PrometheusText.parse(get(metrics));
      for (final String series : SERIES) {
        final String[] modelVersion = series.split(" ");
        final Optional<Double> end =
            windowGauge(text, "modelmon_window_end_timestamp_seconds", modelVersion);
        final Optional<Double> logLoss =
            windowGauge(text, "modelmon_window_log_loss_nats", modelVersion);
        final Optional<Double> events =
            windowGauge(text, "modelmon_window_predictions", modelVersion);
        if (end.isPresent() && logLoss.isPresent() && events.isPresent()) {
          windows
              .computeIfAbsent(series, k -> new TreeMap<>())
              .put(end.get(), new Window(end.get() - 10, events.get(), logLoss.get()));
        }
      }
      if (Double.isNaN(firstResultSeconds) && windows.keySet().containsAll(SERIES)) {
        firstResultSeconds = (System.nanoTime() - launchNanos) / 1e9;
      }
      if (hasFullWindowFrom(windows.get("digits v1"), postDriftStart)
          && hasFullWindowFrom(windows.get("fraud v1"), postDriftStart)) {
        assertThat(windows.keySet()).containsAll(SERIES);
        return windows;
      }
      Thread.sleep(1_000);
    }
    throw new AssertionError(
        "no post-drift windows within "
            + RESULTS_TIMEOUT
            + "; seen "
            + windows
            + "\n"
            + Files.readString(stdout)
            + tail(stderr));
  }

  /**
   * Waits until the summary's clock reaches {@code until}, the demo having printed digits v1's
   * alarm by then, and returns the lines of the detectors' changes of state.
   */
  private List<DetectorLine> awaitAlarmUntil(
      final Path stdout, final Path stderr, final Duration until)
      throws IOException, InterruptedException {
    final long deadline = System.nanoTime() + until.plusSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      assertThat(process.isAlive()).as(tail(stderr)).isTrue();
      final String out = Files.readString(stdout);
      Duration last = Duration.ZERO;
      final Matcher time = SUMMARY_TIME.matcher(out);
      while (time.find()) {
        last = clock(time.group(1) + ":" + time.group(2));
      }
      if (last.compareTo(until) >= 0) {
        final List<DetectorLine> lines = new ArrayList<>();
        final Matcher line = ALARM_LINE.matcher(out);
        while (line.find()) {
          lines.add(
              new DetectorLine(
                  clock(line.group(1) + ":" + line.group(2)),
                  line.group(3),
                  line.group(4),
                  line.group(5)));
        }
        return lines;
      }
      Thread.sleep(1_000);
    }
    throw new AssertionError(
        "the summary never reached " + until + "\n" + Files.readString(stdout) + tail(stderr));
  }

  /** {@code m:ss} as a duration. */
  private static Duration clock(final String minutesSeconds) {
    final String[] parts = minutesSeconds.split(":");
    return Duration.ofSeconds(Long.parseLong(parts[0]) * 60 + Long.parseLong(parts[1]));
  }

  private static boolean hasFullWindowFrom(
      final TreeMap<Double, Window> windows, final double from) {
    return windows != null
        && windows.values().stream()
            .anyMatch(w -> w.start() >= from && w.events() >= MIN_WINDOW_EVENTS);
  }

  /**
   * The event-weighted mean log loss of windows that ended before the drift and of windows that
   * began after it, with a second of margin either side for when the test saw traffic start.
   */
  private static Level level(final TreeMap<Double, Window> windows, final double trafficStart) {
    final double drift = trafficStart + DRIFT_AFTER.toSeconds();
    return new Level(
        mean(windows.values().stream().filter(w -> w.start() + 10 <= drift - 1)),
        mean(windows.values().stream().filter(w -> w.start() >= drift + 1)));
  }

  private static double mean(final Stream<Window> windows) {
    final double[] sums = new double[2];
    windows
        .filter(w -> w.events() >= MIN_WINDOW_EVENTS)
        .forEach(
            w -> {
              sums[0] += w.events() * w.logLoss();
              sums[1] += w.events();
            });
    assertThat(sums[1]).as("events in the windows compared").isPositive();
    return sums[0] / sums[1];
  }

  private static Optional<Double> windowGauge(
      final PrometheusText text, final String name, final String[] modelVersion) {
    return text.value(name, "model", modelVersion[0], "version", modelVersion[1], "window", "10s");
  }

  private String awaitOutput(final Path stdout, final Path stderr, final String marker)
      throws IOException, InterruptedException {
    final long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline && process.isAlive()) {
      final String text = Files.readString(stdout);
      if (text.contains(marker)) {
        return text;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(
        "never printed "
            + marker
            + " (alive "
            + process.isAlive()
            + ")\n"
            + Files.readString(stdout)
            + tail(stderr));
  }

  private String get(final URI uri) throws IOException, InterruptedException {
    try {
      return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (final ConnectException e) {
      throw new AssertionError("nothing listens on " + uri, e);
    }
  }

  private static String group(final Pattern pattern, final String text) {
    final Matcher matcher = pattern.matcher(text);
    assertThat(matcher.find()).as(pattern + " in\n" + text).isTrue();
    return matcher.group(1);
  }

  private static String tail(final Path file) {
    try {
      final List<String> lines = Files.readAllLines(file);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  /** One final 10s window as the gauges showed it. */
  private record Window(double start, double events, double logLoss) {}

  /** A detector's change of state as the console shows it. */
  private record DetectorLine(Duration at, String state, String series, String text) {}

  /** Mean log loss before and after the drift. */
  private record Level(double before, double after) {}
}
