package org.modelmon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

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

    try (BrokerProbe probe =
        BrokerProbe.start(properties, Duration.ofMillis(100), Duration.ofMillis(500))) {
      // Given time for a few probes, each of which runs into its timeout,
      Thread.sleep(1_500);

      // none of them counts as an answer.
      assertThat(probe.reachable()).isFalse();
      assertThat(probeThreads()).isEqualTo(1);
    }
  }

  @Test
  void shouldStopItsThreadOnClose() {
    final Properties properties = new Properties();
    properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
    final BrokerProbe probe =
        BrokerProbe.start(properties, Duration.ofMillis(100), Duration.ofMillis(500));

    probe.close();
    probe.close(); // idempotent

    assertThat(probeThreads()).isZero();
    assertThat(probe.reachable()).isFalse();
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
