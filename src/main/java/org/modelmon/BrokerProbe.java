package org.modelmon;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.modelmon.config.Durations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the Kafka cluster answers, asked with an Admin {@code describeCluster} on a background
 * thread, for {@code /health/ready}: Kafka Streams stays {@code RUNNING} while the brokers are
 * down, so its state alone cannot tell an outage.
 *
 * <p>A probe that fails or takes longer than its timeout makes the cluster unreachable until the
 * next one succeeds. Only the changes are logged, so an outage writes one line, not one per probe.
 */
public final class BrokerProbe implements AutoCloseable {

  /** How long to wait between the end of one probe and the start of the next. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(2);

  /** How long one probe may take before the cluster counts as unreachable. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

  private static final Logger LOG = LoggerFactory.getLogger(BrokerProbe.class);
  private static final String THREAD_NAME = "modelmon-broker-probe";

  private final Admin admin;
  private final String bootstrapServers;
  private final Duration timeout;
  private final ScheduledExecutorService scheduler;

  /** {@code null} until the first probe has finished. */
  private volatile Boolean reachable;

  private BrokerProbe(final Admin admin, final String bootstrapServers, final Duration timeout) {
    this.admin = admin;
    this.bootstrapServers = bootstrapServers;
    this.timeout = timeout;
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              final Thread thread = new Thread(runnable, THREAD_NAME);
              thread.setDaemon(true);
              return thread;
            });
  }

  /**
   * Starts probing at once, then every {@code interval}.
   *
   * @param adminProperties the Admin client settings, bootstrap servers and any {@code kafka.*}
   *     pass-through (security) included; the timeouts are set here from {@code timeout}
   * @param interval pause between probes
   * @param timeout how long one probe may take
   */
  public static BrokerProbe start(
      final Properties adminProperties, final Duration interval, final Duration timeout) {
    final Properties properties = new Properties();
    properties.putAll(adminProperties);
    final int timeoutMs = Math.toIntExact(timeout.toMillis());
    properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
    properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
    // A configured client id (kafka.client.id) names the stream's clients too: set apart the
    // probe's. Without one, Kafka's default stays, which is unique within the JVM.
    final Object clientId = properties.get(AdminClientConfig.CLIENT_ID_CONFIG);
    if (clientId != null) {
      properties.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId + "-broker-probe");
    }
    final BrokerProbe probe =
        new BrokerProbe(
            Admin.create(properties),
            String.valueOf(properties.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)),
            timeout);
    // Fixed delay, not rate: a probe that runs into its timeout never overlaps the next one.
    probe.scheduler.scheduleWithFixedDelay(
        probe::probe, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    return probe;
  }

  /** Whether the latest probe got an answer; {@code false} until the first one has. */
  public boolean reachable() {
    return Boolean.TRUE.equals(reachable);
  }

  private void probe() {
    try {
      admin
          .describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
          .clusterId()
          // The call times out by itself; the margin only guards against a call that never ends.
          .get(timeout.toMillis() + 1_000L, TimeUnit.MILLISECONDS);
      record(true, null);
    } catch (InterruptedException e) {
      // close() stops the probe: nothing was learnt about the cluster.
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      record(false, e.getCause());
    } catch (TimeoutException | RuntimeException e) {
      // A RuntimeException must not escape either: the executor would silently stop probing.
      record(false, e);
    }
  }

  private void record(final boolean answered, final Throwable failure) {
    final Boolean previous = reachable;
    reachable = answered;
    if (answered && !Boolean.TRUE.equals(previous)) {
      LOG.atInfo()
          .addKeyValue("bootstrapServers", bootstrapServers)
          .log(previous == null ? "Kafka cluster reachable" : "Kafka cluster reachable again");
    } else if (!answered && !Boolean.FALSE.equals(previous)) {
      LOG.atWarn()
          .addKeyValue("bootstrapServers", bootstrapServers)
          .addKeyValue("error", String.valueOf(failure))
          .addKeyValue("timeout", Durations.format(timeout))
          .log("Kafka cluster unreachable; not ready until it answers again");
    }
  }

  /** Stops probing and closes the Admin client; idempotent. */
  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      if (!scheduler.awaitTermination(timeout.toMillis() + 5_000L, TimeUnit.MILLISECONDS)) {
        LOG.atWarn().log("Broker probe did not stop in time");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // Zero: a probe still pending is of no interest any more.
    admin.close(Duration.ZERO);
  }
}
