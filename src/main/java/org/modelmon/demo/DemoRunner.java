package org.modelmon.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.modelmon.ModelmonApplication;
import org.modelmon.config.ConfigLoader;
import org.modelmon.config.Durations;
import org.modelmon.config.ModelmonConfig;
import org.modelmon.demo.BrokerStartException.Reason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the demo: an {@link EmbeddedKafkaBroker}, a {@link ModelmonApplication} with short windows,
 * the models' references, a {@link TrafficProducer} and a live summary on the terminal; {@link
 * #close()} stops them in reverse order and deletes a temporary data directory.
 *
 * <p>{@link #close()} may be called from another thread (a signal handler) while {@link #start()}
 * runs: each start step holds this object's monitor, so close waits for the step in progress, and
 * start stops at the next one. Start steps never wait on anything that close would stop.
 */
public final class DemoRunner implements AutoCloseable {

  /** The processor's windows: short, so that results show within a minute. */
  public static final String WINDOWS = "10s,1m";

  /** The window the summary shows. */
  public static final String SUMMARY_WINDOW = "10s";

  static final String GRACE = "2s";
  static final String IDLE_CLOSE = "5s";
  static final String APPLICATION_ID = "modelmon-demo";

  /**
   * Evidence windows of 10 s the drift detector learns each model's baseline from: 2 minutes, so
   * that it watches well before the drift, 4 minutes in by default (the default of 60 windows is an
   * hour of 1-minute windows in production).
   */
  static final String DETECTOR_WARMUP = "12";

  static final Duration SUMMARY_INTERVAL = Duration.ofSeconds(5);
  static final Duration SESSION_TIMEOUT = Duration.ofSeconds(10);

  /** The summary repeats its header every this many summaries (a minute). */
  private static final int HEADER_EVERY = 12;

  private static final Duration REFERENCE_TIMEOUT = Duration.ofSeconds(30);
  private static final Logger LOG = LoggerFactory.getLogger(DemoRunner.class);

  private final DemoOptions options;
  private final PrintWriter out;
  private final Optional<Path> logFile;
  private final List<SyntheticModel> models;
  private final Deque<Resource> resources = new ArrayDeque<>();
  private final CountDownLatch ended = new CountDownLatch(1);
  // The summary's rows and the alarm lines come from two threads: a line never splits a table.
  private final Object printLock = new Object();
  private boolean closed; // guarded by this
  private volatile ModelmonConfig config;
  private volatile ModelmonApplication application;
  private volatile TrafficProducer traffic;
  private int summaries; // summary thread only
  private boolean driftAnnounced; // summary thread only

  /** A runner that prints to {@code out}; nothing starts before {@link #start()}. */
  public DemoRunner(final DemoOptions options, final PrintWriter out) {
    this(options, out, Optional.empty());
  }

  /**
   * As {@link #DemoRunner(DemoOptions, PrintWriter)}, with the embedded broker's log appended to
   * {@code logFile} (the demo's own log, see {@link DemoLog}), which the stop line names again.
   */
  public DemoRunner(
      final DemoOptions options, final PrintWriter out, final Optional<Path> logFile) {
    this.options = options;
    this.out = out;
    this.logFile = logFile;
    this.models = DemoModels.defaults();
  }

  /**
   * Starts everything and prints the URLs. Returns at once if {@link #close()} has been called.
   *
   * @throws BrokerStartException if the broker does not come up
   */
  public void start() {
    if (options.trafficOnly()) {
      startTrafficOnly(options.bootstrapServers().orElseThrow());
      return;
    }
    final Optional<DataRoot> root = step("data directory", this::createDataRoot);
    if (root.isEmpty()) {
      return;
    }
    final Path dir = root.get().path();
    final String bootstrapServers;
    if (options.bootstrapServers().isPresent()) {
      bootstrapServers = options.bootstrapServers().get();
    } else {
      final Optional<EmbeddedKafkaBroker> broker =
          step("Kafka broker", () -> startBroker(dir.resolve("kafka")));
      if (broker.isEmpty()) {
        return;
      }
      bootstrapServers = broker.get().bootstrapServers();
    }
    final Optional<ModelmonApplication> app =
        step("modelmon", () -> startApplication(bootstrapServers, dir.resolve("streams")));
    if (app.isEmpty()) {
      return;
    }
    application = app.get();
    if (step("references", () -> publishReferences(bootstrapServers)).isEmpty()) {
      return;
    }
    if (!startTraffic(bootstrapServers)) {
      return;
    }
    printIntroduction(bootstrapServers, app.get().httpPort(), dir);
    step("summary", this::startSummary);
    step("alarm watch", () -> startAlarmWatch(bootstrapServers));
    step("stream watch", this::watchStream);
  }

  /**
   * Blocks until {@link #close()}, until {@code duration} has passed, or until the stream dies.
   *
   * @param duration how long to run at most; empty for no limit
   * @return whether the stream died on its own (read before anything is closed, since a closed
   *     stream no longer counts as failed)
   */
  public boolean awaitEnd(final Optional<Duration> duration) throws InterruptedException {
    if (duration.isPresent()) {
      ended.await(duration.get().toMillis(), TimeUnit.MILLISECONDS);
    } else {
      ended.await();
    }
    final ModelmonApplication app = application;
    return app != null && app.failed();
  }

  /**
   * Stops the summary, the traffic, the processor and the broker, in that order, and deletes the
   * data directory if it was a temporary one. Idempotent.
   */
  @Override
  public void close() {
    final List<Resource> toClose = new ArrayList<>();
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      while (!resources.isEmpty()) {
        toClose.add(resources.pop());
      }
    }
    ended.countDown();
    for (final Resource resource : toClose) {
      try {
        resource.closeable().close();
      } catch (final Exception e) {
        LOG.atWarn()
            .setCause(e)
            .addKeyValue("resource", resource.name())
            .log("Stopping part of the demo failed");
      }
    }
    if (!toClose.isEmpty()) {
      out.println("modelmon demo stopped." + logFile.map(file -> " Log: " + file).orElse(""));
      out.flush();
    }
  }

  /**
   * Runs one start step under the monitor and keeps what it started for {@link #close()}; empty if
   * the demo is already closing.
   */
  private synchronized <T extends AutoCloseable> Optional<T> step(
      final String name, final Supplier<T> start) {
    if (closed) {
      return Optional.empty();
    }
    final T resource = start.get();
    resources.push(new Resource(name, resource));
    return Optional.of(resource);
  }

  private DataRoot createDataRoot() {
    try {
      if (options.dataDir().isPresent()) {
        return new DataRoot(Files.createDirectories(options.dataDir().get()), false);
      }
      return new DataRoot(Files.createTempDirectory("modelmon-demo-"), true);
    } catch (final IOException e) {
      throw new UncheckedIOException("cannot create the demo's data directory", e);
    }
  }

  /** Starts the synthetic traffic; false if the demo is already closing. */
  private boolean startTraffic(final String bootstrapServers) {
    final Optional<TrafficProducer> producer =
        step(
            "traffic",
            () ->
                TrafficProducer.start(
                    bootstrapServers,
                    config.predictionsTopic(),
                    config.labels().topic(),
                    new TrafficGenerator(models, options.invalidRate(), options.seed()),
                    options.rate(),
                    options.driftAfter()));
    producer.ifPresent(started -> traffic = started);
    return producer.isPresent();
  }

  /**
   * Publishes the references to an existing cluster, then produces traffic until closed. A cluster
   * that cannot be reached is an error here: there is nothing else to show.
   */
  private void startTrafficOnly(final String bootstrapServers) {
    config =
        ConfigLoader.load(
            Optional.empty(), Map.of(), Map.of("modelmon.bootstrap.servers", bootstrapServers));
    if (step("references", () -> publishReferencesOrFail(bootstrapServers)).isEmpty()) {
      return;
    }
    if (!startTraffic(bootstrapServers)) {
      return;
    }
    out.println(
        "modelmon demo: producing "
            + plain(options.rate())
            + " events/s to "
            + config.predictionsTopic()
            + " on "
            + bootstrapServers
            + "; Ctrl-C to stop.");
    out.flush();
  }

  private AutoCloseable publishReferencesOrFail(final String bootstrapServers) {
    final List<Future<RecordMetadata>> sent = new ArrayList<>();
    try (KafkaProducer<String, byte[]> producer = referencesProducer(bootstrapServers)) {
      DemoModels.references(models)
          .forEach(
              (key, value) ->
                  sent.add(
                      producer.send(new ProducerRecord<>(config.referencesTopic(), key, value))));
      for (final Future<RecordMetadata> future : sent) {
        future.get(REFERENCE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (final ExecutionException | TimeoutException | KafkaException e) {
      throw new IllegalStateException(
          "cannot publish the references to Kafka at " + bootstrapServers + ": " + e, e);
    }
    return () -> {};
  }

  private static KafkaProducer<String, byte[]> referencesProducer(final String bootstrapServers) {
    final Properties properties = new Properties();
    properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    properties.put(ProducerConfig.CLIENT_ID_CONFIG, "modelmon-demo-references");
    properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) REFERENCE_TIMEOUT.toMillis());
    return new KafkaProducer<>(properties, new StringSerializer(), new ByteArraySerializer());
  }

  private EmbeddedKafkaBroker startBroker(final Path dir) {
    final EmbeddedKafkaBroker.Builder builder =
        EmbeddedKafkaBroker.builder()
            .dataDir(dir)
            .brokerPort(options.brokerPort())
            // An hour of events is plenty to look at, and bounds the disk a long demo takes.
            .brokerProperty("log.retention.ms", Long.toString(Duration.ofHours(1).toMillis()))
            .brokerProperty("log.segment.bytes", Integer.toString(16 * 1024 * 1024));
    logFile.ifPresent(builder::logFile);
    try {
      return builder.start();
    } catch (final BrokerStartException e) {
      if (e.reason() != Reason.PORT_IN_USE || options.brokerPort() == 0) {
        throw e;
      }
      out.println(
          "Kafka port " + options.brokerPort() + " is in use; starting the broker on a free port.");
      out.flush();
      return builder.brokerPort(0).start();
    }
  }

  private ModelmonApplication startApplication(final String bootstrapServers, final Path stateDir) {
    final int port = options.httpPort();
    if (port == 0 || isFree(ModelmonConfig.defaults().httpHost(), port)) {
      config = config(bootstrapServers, stateDir, port);
      try {
        return ModelmonApplication.start(config);
      } catch (final UncheckedIOException e) {
        if (!(e.getCause() instanceof BindException)) {
          throw e;
        }
        // Taken between the check and the bind: fall through to a free port.
      }
    }
    out.println("HTTP port " + port + " is in use; serving on a free port instead.");
    out.flush();
    config = config(bootstrapServers, stateDir, 0);
    return ModelmonApplication.start(config);
  }

  private static ModelmonConfig config(
      final String bootstrapServers, final Path stateDir, final int httpPort) {
    final Map<String, String> settings = new LinkedHashMap<>();
    settings.put("modelmon.bootstrap.servers", bootstrapServers);
    settings.put("modelmon.application.id", APPLICATION_ID);
    settings.put("modelmon.state.dir", stateDir.toString());
    settings.put("modelmon.windows", WINDOWS);
    settings.put("modelmon.window.grace", GRACE);
    settings.put("modelmon.window.idle.close", IDLE_CLOSE);
    settings.put("modelmon.http.port", Integer.toString(httpPort));
    settings.put("modelmon.detector.warmup", DETECTOR_WARMUP);
    // Kafka Streams does not leave its group on close, so a demo restarted on a kept --data-dir
    // would wait out the previous member's session (45 s by default) before it gets any work.
    settings.put("kafka.session.timeout.ms", Long.toString(SESSION_TIMEOUT.toMillis()));
    return ConfigLoader.load(Optional.empty(), Map.of(), settings);
  }

  private static boolean isFree(final String host, final int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(host, port));
      return true;
    } catch (final IOException e) {
      return false;
    }
  }

  /**
   * Writes the references and waits until the broker has them, so that they are in place before the
   * first event is sent; returns nothing to close.
   */
  private AutoCloseable publishReferences(final String bootstrapServers) {
    try {
      return publishReferencesOrFail(bootstrapServers);
    } catch (final IllegalStateException e) {
      // The demo still runs, only without KL and drift; say so rather than stop.
      LOG.atWarn().setCause(e).log("Could not publish the demo's references");
      return () -> {};
    }
  }

  private void printIntroduction(
      final String bootstrapServers, final int httpPort, final Path root) {
    final String base = "http://localhost:" + httpPort;
    final String drifting =
        models.stream()
            .filter(SyntheticModel::drifts)
            .map(SyntheticModel::displayName)
            .collect(Collectors.joining(", "));
    final String all =
        models.stream().map(SyntheticModel::displayName).collect(Collectors.joining(", "));
    out.println();
    out.println(
        (options.bootstrapServers().isPresent()
                ? "modelmon demo: Kafka at "
                : "modelmon demo: a single-node Kafka broker (KRaft) on ")
            + bootstrapServers
            + ", data in "
            + root
            + (options.dataDir().isPresent() ? " (kept)" : " (deleted on exit)"));
    out.println("  status page  " + base + "/");
    out.println("  metrics      " + base + "/metrics");
    out.println("  API          " + base + "/api/v1/models");
    out.println(
        "               "
            + base
            + "/api/v1/models/digits/windows?version=v1&window="
            + SUMMARY_WINDOW);
    out.println("  health       " + base + "/health/ready");
    out.printf(
        Locale.ROOT,
        "Traffic: %s events/s over %s, %s%% invalid (seed %d); %s drifts after %s.%n",
        plain(options.rate()),
        all,
        plain(new BigDecimal(Double.toString(options.invalidRate())).movePointRight(2)),
        options.seed(),
        drifting.isEmpty() ? "no model" : drifting,
        Durations.format(options.driftAfter()));
    out.println(
        "Windows "
            + WINDOWS.replace(",", " and ")
            + ", grace "
            + GRACE
            + ": the first results show about 15 s after traffic starts. Ctrl-C stops everything.");
    out.println();
    out.flush();
  }

  private AutoCloseable startSummary() {
    final ScheduledExecutorService executor =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              final Thread thread = new Thread(runnable, "demo-summary");
              thread.setDaemon(true);
              return thread;
            });
    executor.scheduleAtFixedRate(
        this::printSummary,
        SUMMARY_INTERVAL.toMillis(),
        SUMMARY_INTERVAL.toMillis(),
        TimeUnit.MILLISECONDS);
    return () -> {
      executor.shutdownNow();
      executor.awaitTermination(5, TimeUnit.SECONDS);
    };
  }

  /** Prints a line per change of a detector's state, as the alarms topic has it. */
  private AutoCloseable startAlarmWatch(final String bootstrapServers) {
    return AlarmWatch.start(
        bootstrapServers,
        config.alarmsTopic(),
        traffic,
        line -> {
          synchronized (printLock) {
            out.println(line);
            out.flush();
          }
        });
  }

  private void printSummary() {
    final ModelmonApplication app = application;
    final TrafficProducer producer = traffic;
    if (app == null || producer == null) {
      return;
    }
    try {
      final DemoSummary summary =
          DemoSummary.of(
              app.registry().scrape(name -> name.startsWith("modelmon_")), SUMMARY_WINDOW);
      final Duration elapsed = producer.elapsed();
      synchronized (printLock) {
        if (producer.drifting() && !driftAnnounced) {
          driftAnnounced = true;
          out.println(driftNotice(elapsed));
        }
        if (summaries++ % HEADER_EVERY == 0) {
          out.println(summary.header());
        }
        summary.lines(elapsed).forEach(out::println);
        out.flush();
      }
    } catch (final RuntimeException e) {
      // A summary that fails once must not end the schedule; the next one tries again.
      LOG.atDebug().setCause(e).log("Demo summary failed");
    }
  }

  private String driftNotice(final Duration elapsed) {
    final String drifting =
        models.stream()
            .filter(SyntheticModel::drifts)
            .map(SyntheticModel::displayName)
            .collect(Collectors.joining(", "));
    final String stable =
        models.stream()
            .filter(model -> !model.drifts())
            .map(SyntheticModel::displayName)
            .collect(Collectors.joining(", "));
    return String.format(
        Locale.ROOT,
        "%6s  drift: %s now sees another label mix and noisier inputs; %s stay as they were",
        DemoSummary.clock(elapsed),
        drifting,
        stable);
  }

  private AutoCloseable watchStream() {
    final ModelmonApplication app = application;
    final Thread watch =
        new Thread(
            () -> {
              try {
                app.awaitTermination();
              } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              ended.countDown();
            },
            "demo-stream-watch");
    watch.setDaemon(true);
    watch.start();
    return watch::interrupt;
  }

  private static String plain(final double value) {
    return plain(new BigDecimal(Double.toString(value)));
  }

  private static String plain(final BigDecimal value) {
    return value.stripTrailingZeros().toPlainString();
  }

  /** A started part of the demo and its name for the log. */
  private record Resource(String name, AutoCloseable closeable) {}

  /** The directory the broker and Kafka Streams keep their data in. */
  private record DataRoot(Path path, boolean temporary) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      if (!temporary) {
        return;
      }
      try (Stream<Path> paths = Files.walk(path)) {
        for (final Path file : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(file);
        }
      }
    }
  }
}
