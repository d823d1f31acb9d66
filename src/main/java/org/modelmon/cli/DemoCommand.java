package org.modelmon.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.modelmon.config.ConfigException;
import org.modelmon.config.Durations;
import org.modelmon.demo.BrokerStartException;
import org.modelmon.demo.DemoLog;
import org.modelmon.demo.DemoOptions;
import org.modelmon.demo.DemoRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code modelmon demo}: the whole product on an embedded broker with synthetic traffic. */
@Command(
    name = "demo",
    description = {
      "Starts a single-node Kafka broker (KRaft) on loopback, publishes references, produces"
          + " synthetic traffic for fraud v1, fraud v2 and digits v1, runs the processor with 10s"
          + " and 1m windows, and prints the URLs and a live summary every 5 s.",
      "After --drift-after, digits v1 drifts: its log loss, KL, label and prediction drift rise"
          + " while the fraud models stay flat.",
      "Ctrl-C (SIGINT) or SIGTERM stops everything it started and exits 0.",
      "The log (modelmon's, Kafka's and the broker's) goes to modelmon-demo-<time>.log in"
          + " --data-dir, or in the temporary directory; the demo prints its path. With"
          + " --traffic-only it goes to the console, as with run."
    })
final class DemoCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(DemoCommand.class);

  @Spec private CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  private boolean help;

  @Option(
      names = "--rate",
      paramLabel = "N",
      defaultValue = "200",
      description = "Events per second over all models (default: ${DEFAULT-VALUE}).")
  private double rate;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Stop after this long, e.g. 10m (default: run until Ctrl-C).")
  private Duration duration;

  @Option(
      names = "--drift-after",
      paramLabel = "DURATION",
      defaultValue = "3m",
      converter = DurationConverter.class,
      description = "When digits v1 starts to drift, after traffic starts (default: 3m).")
  private Duration driftAfter;

  @Option(
      names = "--seed",
      paramLabel = "N",
      defaultValue = "42",
      description = "Seed of the synthetic traffic (default: ${DEFAULT-VALUE}).")
  private long seed;

  @Option(
      names = "--invalid-rate",
      paramLabel = "SHARE",
      defaultValue = "0.005",
      description =
          "Share of malformed events, for the dead-letter topic (default: ${DEFAULT-VALUE}).")
  private double invalidRate;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "Keep the broker's and the processor's data in DIR across runs (default: a temporary"
              + " directory, deleted on exit).")
  private Path dataDir;

  @Option(
      names = "--http-port",
      paramLabel = "PORT",
      defaultValue = "8080",
      description = "HTTP port; a free one is used if it is taken (default: ${DEFAULT-VALUE}).")
  private int httpPort;

  @Option(
      names = "--broker-port",
      paramLabel = "PORT",
      defaultValue = "0",
      description =
          "Kafka client port; a free one is used if it is taken or 0 (default: ${DEFAULT-VALUE}).")
  private int brokerPort;

  @Option(
      names = "--bootstrap-servers",
      paramLabel = "HOST:PORT",
      description = "Use this Kafka cluster instead of starting a broker.")
  private String bootstrapServers;

  @Option(
      names = "--traffic-only",
      description =
          "Only publish the references and produce the synthetic traffic to --bootstrap-servers;"
              + " start no broker and no processor (e.g. beside a deployed modelmon).")
  private boolean trafficOnly;

  @Override
  public Integer call() throws InterruptedException {
    final DemoOptions options;
    try {
      options =
          new DemoOptions(
              rate,
              Optional.ofNullable(duration),
              driftAfter,
              seed,
              Optional.ofNullable(dataDir),
              httpPort,
              brokerPort,
              invalidRate,
              Optional.ofNullable(bootstrapServers),
              trafficOnly);
    } catch (final IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    final PrintWriter out = spec.commandLine().getOut();
    final PrintWriter err = spec.commandLine().getErr();
    // traffic-only runs as a service beside a deployment (Docker Compose): its log belongs on the
    // console, where the container runtime collects it.
    final Optional<Path> logFile = options.trafficOnly() ? Optional.empty() : redirectLog(err);
    logFile.ifPresent(
        file -> {
          out.println("modelmon demo: log in " + file);
          out.flush();
        });
    final String seeLog = logFile.map(file -> "; see " + file).orElse("; see the log");
    final DemoRunner runner = new DemoRunner(options, out, logFile);
    // As in run: the handlers go in first, so that Ctrl-C during the broker's start-up still
    // stops what has started instead of killing the JVM half-way.
    final AtomicBoolean stopRequested = new AtomicBoolean();
    final CountDownLatch stopped = new CountDownLatch(1);
    ShutdownSignals.install(
        () -> {
          stopRequested.set(true);
          try {
            runner.close();
          } finally {
            stopped.countDown();
          }
        });
    final boolean streamFailed;
    try {
      runner.start();
      streamFailed = runner.awaitEnd(options.duration());
    } catch (final BrokerStartException e) {
      // The message ends with the broker log's tail: the log file has it, the console one line.
      LOG.atError().setCause(e).log("The Kafka broker did not start");
      err.println(
          "modelmon demo: the Kafka broker did not start: "
              + firstLine(e.getMessage())
              + (logFile.isPresent() ? seeLog : ""));
      err.flush();
      return 1;
    } catch (final ConfigException | ParameterException e) {
      throw e; // Main's handlers print these as one line already
    } catch (final RuntimeException e) {
      LOG.atError().setCause(e).log("The demo failed");
      err.println("modelmon demo: " + firstLine(String.valueOf(e.getMessage())) + seeLog);
      err.flush();
      return 1;
    } finally {
      runner.close();
    }
    if (stopRequested.get()) {
      // main exits the JVM when we return: first let the handler's close() finish.
      stopped.await();
      return 0;
    }
    if (streamFailed) {
      err.println("modelmon demo: the stream stopped unexpectedly" + seeLog);
      err.flush();
      return 1;
    }
    return 0;
  }

  /**
   * Sends the log to a fresh file and returns it; on failure says so in one line and leaves the log
   * on the console.
   */
  private Optional<Path> redirectLog(final PrintWriter err) {
    try {
      return Optional.of(DemoLog.redirect(Optional.ofNullable(dataDir), Instant.now()));
    } catch (final IOException | IllegalStateException e) {
      err.println("modelmon demo: logging to the console, no log file: " + e.getMessage());
      err.flush();
      return Optional.empty();
    }
  }

  private static String firstLine(final String message) {
    final int end = message.indexOf('\n');
    return end < 0 ? message : message.substring(0, end);
  }

  /** Reads durations as the configuration does: {@code 90s}, {@code 3m}, {@code PT3M}. */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(final String value) {
      return Durations.parse(value);
    }
  }
}
