package org.modelmon;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * {@link BrokerProbe} without a broker: an address where nothing answers is unreachable, and
 * closing stops the probe's thread. That it sees a broker go and come back is {@code
 * BrokerRestartIT}'s part.
 */
class BrokerProbeTest {

  @Test
  void shouldReportAClusterThatDoesNotAnswerAsUnreachable() throws Exception {
    final Properties properties = new Properties();
    properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + closedPort());

    try (ProbeVerdicts verdicts = ProbeVerdicts.capture();
        BrokerProbe probe =
            BrokerProbe.start(properties, Duration.ofMillis(100), Duration.ofMillis(500))) {
      // reachable() is false before any probe has finished too, so first wait for a probe to
      // have run into its timeout and said so;
      assertThat(verdicts.unreachable.await(30, TimeUnit.SECONDS))
          .as("a probe reported the cluster unreachable")
          .isTrue();

      // that verdict is what reachable() reports, and it never said reachable.
      assertThat(probe.reachable()).isFalse();
      assertThat(verdicts.reachable.getCount()).as("no probe got an answer").isEqualTo(1);
      assertThat(probeThreads()).isEqualTo(1);
    }
  }

  /** Counts down on BrokerProbe's log lines, which it writes on each change of its verdict. */
  private static final class ProbeVerdicts extends AppenderBase<ILoggingEvent>
      implements AutoCloseable {

    final CountDownLatch unreachable = new CountDownLatch(1);
    final CountDownLatch reachable = new CountDownLatch(1);
    private final Logger logger = (Logger) LoggerFactory.getLogger(BrokerProbe.class);

    static ProbeVerdicts capture() {
      final ProbeVerdicts verdicts = new ProbeVerdicts();
      verdicts.setContext(verdicts.logger.getLoggerContext());
      verdicts.start();
      verdicts.logger.addAppender(verdicts);
      return verdicts;
    }

    @Override
    protected void append(final ILoggingEvent event) {
      if (event.getFormattedMessage().startsWith("Kafka cluster unreachable")) {
        unreachable.countDown();
      } else if (event.getFormattedMessage().startsWith("Kafka cluster reachable")) {
        reachable.countDown();
      }
    }

    @Override
    public void close() {
      logger.detachAppender(this);
      stop();
    }
  }

  @Test
  void shouldStopItsThreadOnClose() {
    final Properties properties = new Properties();
    properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
    final BrokerProbe probe =
        BrokerProbe.start(properties, Duration.ofMillis(100), Duration.ofMillis(500));
    assertThat(probeThreads()).isEqualTo(1);

    probe.close();
    probe.close(); // idempotent

    assertThat(probeThreads()).isZero();
  }

  private static long probeThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().equals("modelmon-broker-probe") && thread.isAlive())
        .count();
  }

  /** A loopback port that was free a moment ago, so nothing listens on it. */
  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
