package org.modelmon.demo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What the {@code demo} command was asked to do.
 *
 * @param rate events per second over all models, {@code > 0}
 * @param duration how long to run; empty for until stopped
 * @param driftAfter how long after traffic starts the drifting model changes, {@code ≥ 0}
 * @param seed the traffic generator's random seed
 * @param dataDir where the broker and Kafka Streams keep their data, kept on exit; empty for a
 *     temporary directory that is deleted on exit
 * @param httpPort the HTTP port to try first (0 for any free port)
 * @param brokerPort the broker's client port to try first (0 for any free port)
 * @param invalidRate the share of malformed events, in [0, 1]
 * @param bootstrapServers an existing Kafka cluster to use instead of starting a broker
 * @param trafficOnly only publish references and produce traffic to {@code bootstrapServers}:
 *     no broker, no processor (the traffic generator of a deployment such as Docker Compose)
 */
public record DemoOptions(
    double rate,
    Optional<Duration> duration,
    Duration driftAfter,
    long seed,
    Optional<Path> dataDir,
    int httpPort,
    int brokerPort,
    double invalidRate,
    Optional<String> bootstrapServers,
    boolean trafficOnly) {

  /** Checks every value; the messages name the command-line option. */
  public DemoOptions {
    Objects.requireNonNull(duration, "duration");
    Objects.requireNonNull(driftAfter, "driftAfter");
    Objects.requireNonNull(dataDir, "dataDir");
    if (!(rate > 0 && rate <= 1_000_000)) {
      throw new IllegalArgumentException("--rate must be > 0 and at most 1000000: " + rate);
    }
    if (duration.isPresent() && (duration.get().isNegative() || duration.get().isZero())) {
      throw new IllegalArgumentException("--duration must be positive: " + duration.get());
    }
    if (driftAfter.isNegative()) {
      throw new IllegalArgumentException("--drift-after must not be negative: " + driftAfter);
    }
    checkPort("--http-port", httpPort);
    checkPort("--broker-port", brokerPort);
    if (!(invalidRate >= 0 && invalidRate <= 1)) {
      throw new IllegalArgumentException("--invalid-rate must be in [0, 1]: " + invalidRate);
    }
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    if (trafficOnly && bootstrapServers.isEmpty()) {
      throw new IllegalArgumentException("--traffic-only needs --bootstrap-servers");
    }
  }

  private static void checkPort(final String option, final int port) {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException(option + " must be a port from 0 to 65535: " + port);
    }
  }
}
