package org.modelmon.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.modelmon.config.ConfigLoader;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.PrometheusText;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/bench throughput}: on a real single broker, the raw read rate of a topic (Kafka's
 * ConsumerPerformance, {@code fetch.nMsg.sec}), a bare Kafka Streams reader's rate ({@link
 * BareStreams}) and a plain Python consumer's ({@link PythonConsumerRun}) next to modelmon's
 * processing rate over the same records, from the moment the stream is RUNNING to the moment every
 * event is reflected in the counters and in the final windows of every size. Each reads the topic
 * in a process of its own, one after the other, while nothing else runs.
 *
 * <p>The Python consumer needs a Python 3 with {@code confluent_kafka}; without one, its columns
 * read "n/a" and one line says why.
 */
@Command(
    name = "bin/bench throughput",
    mixinStandardHelpOptions = true,
    description = "Raw consumer read rate vs modelmon's processing rate on one real broker.")
public final class ThroughputBench implements Callable<Integer> {

  private static final List<String> WINDOWS = List.of("1m", "5m", "1h");
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(10);
  private static final String NOT_AVAILABLE = "n/a";
  private static final Duration SCRAPE_INTERVAL = Duration.ofMillis(500);

  @Option(names = "--events", description = "events per setting (default ${DEFAULT-VALUE})")
  long events = 2_000_000;

  @Option(names = "--partitions", description = "input partitions (default ${DEFAULT-VALUE})")
  int partitions = 4;

  @Option(names = "--classes", split = ",", description = "classes per model (default 10)")
  List<Integer> classes = List.of(10);

  @Option(names = "--models", split = ",", description = "models (default 100)")
  List<Integer> models = List.of(100);

  @Option(
      names = "--guarantee",
      split = ",",
      description = "exactly_once_v2 and/or at_least_once (default exactly_once_v2)")
  List<String> guarantees = List.of("exactly_once_v2");

  @Option(
      names = "--matrix",
      description =
          "the issue's settings: {EOS, ALOS} × 10 classes × 100 models, EOS × {2, 100} classes,"
              + " EOS × 10 classes × 1 model (overrides --classes/--models/--guarantee)")
  boolean matrix;

  @Option(names = "--runs", description = "runs per setting; medians are reported (default 3)")
  int runs = 3;

  @Option(
      names = "--set",
      description =
          "extra modelmon setting for every run, KEY=VALUE (e.g. kafka.num.stream.threads=2)")
  Map<String, String> extraSettings = new LinkedHashMap<>();

  @Option(names = "--jvm", split = " ", description = "modelmon's JVM options (default -Xmx1g)")
  List<String> jvmOptions = List.of("-Xmx1g", "-XX:+ExitOnOutOfMemoryError");

  @Option(
      names = "--python",
      description =
          "Python interpreter for the plain Python consumer (default: the first of python3,"
              + " /usr/bin/python3 that has the confluent_kafka module)")
  String python;

  /** The interpreter that runs the plain Python consumer; empty when there is none. */
  private Optional<String> pythonInterpreter = Optional.empty();

  /** One line of the result table. */
  private record Setting(String guarantee, int classes, int models) {}

  public static void main(final String[] args) {
    System.exit(new CommandLine(new ThroughputBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    final List<Setting> settings = settings();
    final List<String> pythonProblems = new ArrayList<>();
    pythonInterpreter =
        PythonConsumerRun.interpreter(
            python == null ? PythonConsumerRun.DEFAULT_INTERPRETERS : List.of(python),
            pythonProblems);
    final String pythonMissing =
        "plain Python consumer: n/a, "
            + String.join("; ", pythonProblems)
            + " (Debian: "
            + PythonConsumerRun.INSTALL
            + ")";
    System.err.println(
        pythonInterpreter.map(p -> "plain Python consumer: " + p).orElse(pythonMissing));
    final Path workDir = Files.createTempDirectory("modelmon-bench-");
    final List<String> table = new ArrayList<>();
    try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
      System.err.println("broker at " + broker.bootstrapServers());
      final Map<String, BenchTopic> topics = new LinkedHashMap<>();
      for (final Setting setting : settings) {
        final String dataset = setting.classes() + "c-" + setting.models() + "m";
        BenchTopic topic = topics.get(dataset);
        if (topic == null) {
          final long start = System.nanoTime();
          topic =
              BenchTopic.load(
                  broker.bootstrapServers(),
                  "bench-" + dataset,
                  partitions,
                  BenchModels.zipf(setting.models(), setting.classes(), 7L),
                  events,
                  new Progress("loading " + dataset));
          final double seconds = (System.nanoTime() - start) / 1e9;
          System.err.printf(
              "loaded %s: %d events, %.0f MB in %.1f s%n",
              dataset, events, topic.bytes() / 1e6, seconds);
          topics.put(dataset, topic);
        }
        final long brokerPid = broker.pid().orElseThrow();
        table.add(measure(broker.bootstrapServers(), brokerPid, topic, setting, workDir));
      }
    } finally {
      deleteRecursively(workDir);
    }
    System.out.println();
    System.out.printf(
        "events=%d partitions=%d runs=%d cores=%d%n",
        events, partitions, runs, Runtime.getRuntime().availableProcessors());
    if (pythonInterpreter.isEmpty()) {
      System.out.println(pythonMissing);
    }
    System.out.println(
        "| guarantee | classes | models | raw fetch.nMsg.sec | bare Kafka Streams events/s"
            + " | plain Python events/s | modelmon events/s | modelmon / raw"
            + " | warm (last 3/4): bare | warm: Python | warm: modelmon"
            + " | warm modelmon / Python | warm modelmon / bare"
            + " | modelmon events/s incl. start-up | modelmon CPU s per 1M events |");
    System.out.println(
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    table.forEach(System.out::println);
    return 0;
  }

  private List<Setting> settings() {
    final List<Setting> settings = new ArrayList<>();
    if (matrix) {
      settings.add(new Setting("exactly_once_v2", 10, 100));
      settings.add(new Setting("at_least_once", 10, 100));
      settings.add(new Setting("exactly_once_v2", 2, 100));
      settings.add(new Setting("exactly_once_v2", 100, 100));
      settings.add(new Setting("exactly_once_v2", 10, 1));
      return settings;
    }
    for (final int k : classes) {
      for (final int m : models) {
        for (final String guarantee : guarantees) {
          settings.add(new Setting(guarantee, k, m));
        }
      }
    }
    return settings;
  }

  /**
   * One row of the table: medians over the runs. The ratios are medians of each run's ratio, the
   * peers of a ratio read the topic in the same run; "warm" rates are over the last three quarters
   * of the records, once the JIT compiler is done.
   */
  private String measure(
      final String bootstrapServers,
      final long brokerPid,
      final BenchTopic topic,
      final Setting setting,
      final Path workDir)
      throws Exception {
    final double[] raw = new double[runs];
    final double[] processing = new double[runs];
    final double[] coldProcessing = new double[runs];
    final double[] modelmonCpuPerMillion = new double[runs];
    final double[] warm = new double[runs];
    final double[] bare = new double[runs];
    final double[] bareWarm = new double[runs];
    final double[] python = new double[runs];
    final double[] pythonWarm = new double[runs];
    final double[] warmToPython = new double[runs];
    final double[] warmToBare = new double[runs];
    // Every peer reads the sentinels too, and counts them.
    final long records = topic.events() + topic.partitions();
    for (int run = 0; run < runs; run++) {
      raw[run] =
          ConsumerPerformanceRun.fetchMessagesPerSecond(
              bootstrapServers, topic.predictions(), records);
      final BareStreams.Rates bareRates =
          BareStreams.eventsPerSecond(
              bootstrapServers, topic.predictions(), records, setting.guarantee(), kafkaSettings());
      bare[run] = bareRates.eventsPerSecond();
      bareWarm[run] = bareRates.warmEventsPerSecond();
      if (pythonInterpreter.isPresent()) {
        final PythonConsumerRun.Result result =
            PythonConsumerRun.run(
                pythonInterpreter.get(),
                bootstrapServers,
                topic.predictions(),
                records,
                workDir.resolve("python-" + UUID.randomUUID() + ".log"),
                RUN_TIMEOUT);
        python[run] = result.eventsPerSecond();
        pythonWarm[run] = result.warmEventsPerSecond();
      }
      final Path runDir = workDir.resolve(UUID.randomUUID().toString());
      final Timing timing = runModelmon(bootstrapServers, brokerPid, topic, setting, runDir);
      processing[run] = topic.events() / timing.runningSeconds();
      coldProcessing[run] = topic.events() / timing.totalSeconds();
      warm[run] = 0.75 * topic.events() / timing.lastThreeQuartersSeconds();
      warmToPython[run] = warm[run] / pythonWarm[run];
      warmToBare[run] = warm[run] / bareWarm[run];
      System.err.printf(
          "%s run %d: raw %.0f msg/s; bare Kafka Streams %.0f/s, warm %.0f; plain Python %s;"
              + " modelmon %.0f events/s, warm %.0f (%.1f s RUNNING, %.1f s in all;"
              + " CPU s: modelmon %.1f, broker %.1f)%n",
          setting,
          run + 1,
          raw[run],
          bare[run],
          bareWarm[run],
          pythonInterpreter.isPresent()
              ? String.format("%.0f/s, warm %.0f", python[run], pythonWarm[run])
              : NOT_AVAILABLE,
          processing[run],
          warm[run],
          timing.runningSeconds(),
          timing.totalSeconds(),
          timing.modelmonCpu(),
          timing.brokerCpu());
      modelmonCpuPerMillion[run] = timing.modelmonCpu() * 1e6 / topic.events();
    }
    final double rawMedian = Stats.median(raw);
    final double processingMedian = Stats.median(processing);
    final boolean hasPython = pythonInterpreter.isPresent();
    return String.format(
        "| %s | %d | %d | %.0f | %.0f | %s | %.0f | %.2f | %.0f | %s | %.0f | %s | %.2f | %.0f |"
            + " %.1f |",
        setting.guarantee(),
        setting.classes(),
        setting.models(),
        rawMedian,
        Stats.median(bare),
        hasPython ? String.format("%.0f", Stats.median(python)) : NOT_AVAILABLE,
        processingMedian,
        processingMedian / rawMedian,
        Stats.median(bareWarm),
        hasPython ? String.format("%.0f", Stats.median(pythonWarm)) : NOT_AVAILABLE,
        Stats.median(warm),
        hasPython ? String.format("%.2f", Stats.median(warmToPython)) : NOT_AVAILABLE,
        Stats.median(warmToBare),
        Stats.median(coldProcessing),
        Stats.median(modelmonCpuPerMillion));
  }

  /** The Kafka settings of {@code --set} as modelmon reads them; the bare reader gets them too. */
  private Map<String, String> kafkaSettings() {
    return ConfigLoader.load(Optional.empty(), Map.of(), extraSettings).kafka();
  }

  /**
   * Seconds from launch, and from RUNNING, to every event reflected; seconds from a quarter to all
   * of the events counted (the rate once the JIT has warmed up); CPU seconds modelmon and the
   * broker used between RUNNING and the end.
   */
  private record Timing(
      double totalSeconds,
      double runningSeconds,
      double lastThreeQuartersSeconds,
      double modelmonCpu,
      double brokerCpu) {}

  private Timing runModelmon(
      final String bootstrapServers,
      final long brokerPid,
      final BenchTopic topic,
      final Setting setting,
      final Path runDir)
      throws Exception {
    Files.createDirectories(runDir);
    final String id = "bench-" + UUID.randomUUID();
    final String windowsTopic = ModelmonUnderTest.windowsTopic(id);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
      admin.createTopics(List.of(new NewTopic(windowsTopic, 1, (short) 1))).all().get();
    }
    final Map<String, String> config =
        ModelmonUnderTest.settings(
            bootstrapServers,
            id,
            setting.guarantee(),
            topic.predictions(),
            topic.references(),
            WINDOWS);
    config.putAll(extraSettings);
    final long launched = System.nanoTime();
    try (ModelmonUnderTest modelmon = ModelmonUnderTest.start(runDir, config, jvmOptions);
        WindowTotals windows = new WindowTotals(bootstrapServers, windowsTopic)) {
      final long deadline = launched + RUN_TIMEOUT.toNanos();
      modelmon.awaitReady(RUN_TIMEOUT);
      final long running = System.nanoTime();
      final double modelmonCpuAtStart = modelmon.cpuSeconds();
      final double brokerCpuAtStart = ProcessCpu.seconds(brokerPid);
      double counted = 0;
      long quarterCounted = 0;
      long allCounted = 0;
      long nextScrape = running;
      while (true) {
        windows.poll(Duration.ofMillis(100));
        if (allCounted == 0 && System.nanoTime() >= nextScrape) {
          // Every half second, not more: a scrape of 100 models costs the process some CPU.
          nextScrape = System.nanoTime() + SCRAPE_INTERVAL.toNanos();
          final PrometheusText metrics = modelmon.metrics();
          counted = metrics == null ? counted : ModelmonUnderTest.predictionsCounted(metrics);
          if (quarterCounted == 0 && counted >= topic.events() / 4.0) {
            quarterCounted = System.nanoTime();
          }
          if (counted == topic.events()) {
            allCounted = System.nanoTime();
          }
        }
        if (allCounted != 0 && windows.complete(WINDOWS, topic.events())) {
          break;
        }
        check(
            modelmon,
            deadline,
            "did not reflect every event: windows "
                + windows.predictionsByWindow()
                + ", counters "
                + counted);
      }
      final long done = System.nanoTime();
      return new Timing(
          (done - launched) / 1e9,
          (done - running) / 1e9,
          quarterCounted == allCounted ? Double.NaN : (allCounted - quarterCounted) / 1e9,
          modelmon.cpuSeconds() - modelmonCpuAtStart,
          ProcessCpu.seconds(brokerPid) - brokerCpuAtStart);
    } finally {
      deleteRecursively(runDir);
    }
  }

  private static void check(
      final ModelmonUnderTest modelmon, final long deadline, final String what) throws Exception {
    if (!modelmon.isAlive() || System.nanoTime() > deadline) {
      throw modelmon.failure(what);
    }
  }

  static void deleteRecursively(final Path dir) throws java.io.IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (final Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
