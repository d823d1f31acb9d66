package org.modelmon.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.modelmon.config.Durations;
import org.modelmon.demo.BrokerStartException;
import org.modelmon.demo.DemoOptions;
import org.modelmon.demo.DemoRunner;
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
      "Ctrl-C (SIGINT) or SIGTERM stops everything it started and exits 0."
    })
final class DemoCommand implements Callable<Integer> {

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
    final DemoRunner runner = new DemoRunner(options, spec.commandLine().getOut());
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
      spec.commandLine()
          .getErr()
          .println("modelmon demo: the Kafka broker did not start: " + e.getMessage());
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
      spec.commandLine()
          .getErr()
          .println("modelmon demo: the stream stopped unexpectedly; see the log");
      return 1;
    }
    return 0;
  }

  /** Reads durations as the configuration does: {@code 90s}, {@code 3m}, {@code PT3M}. */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(final String value) {
      return Durations.parse(value);
    }
  }
}
