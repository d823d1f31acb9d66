package org.modelmon.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The checks that fail before any JVM is launched, and the log tail used in failure messages. */
class EmbeddedKafkaBrokerTest {

  @Test
  void shouldNameTheBrokerPortWhenItIsInUse() throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      final int port = taken.getLocalPort();

      assertThatThrownBy(() -> EmbeddedKafkaBroker.builder().brokerPort(port).start())
          .isInstanceOfSatisfying(
              BrokerStartException.class,
              e -> assertThat(e.reason()).isEqualTo(BrokerStartException.Reason.PORT_IN_USE))
          .hasMessageContaining("broker port " + port)
          .hasMessageContaining("already in use");
    }
  }

  @Test
  void shouldNameTheControllerPortWhenItIsInUse(@TempDir final Path dir) throws IOException {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      final int port = taken.getLocalPort();

      assertThatThrownBy(
              () -> EmbeddedKafkaBroker.builder().dataDir(dir).controllerPort(port).start())
          .isInstanceOf(BrokerStartException.class)
          .hasMessageContaining("controller port " + port);
      // A directory given by the caller is the caller's, even when the start fails.
      assertThat(dir).isDirectory();
    }
  }

  @Test
  void shouldRejectSettingsItDerivesItself() {
    final EmbeddedKafkaBroker.Builder builder = EmbeddedKafkaBroker.builder();

    assertThatThrownBy(() -> builder.brokerProperty("listeners", "PLAINTEXT://0.0.0.0:9092"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("listeners");
    assertThatThrownBy(() -> builder.brokerProperties(Map.of("log.dirs", "/tmp/x")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldRejectSaslUsersThatDoNotFitIntoAJaasConfig() {
    final EmbeddedKafkaBroker.Builder builder = EmbeddedKafkaBroker.builder();

    assertThatThrownBy(() -> builder.saslPlainUsers(Map.of("al ice", "secret")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("al ice");
    assertThatThrownBy(() -> builder.saslPlainUsers(Map.of("alice", "se\"cret")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("alice")
        .hasMessageNotContaining("se\"cret");
    assertThatThrownBy(() -> builder.saslPlainUsers(Map.of("alice", "")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> builder.saslPlainUsers(Map.of(EmbeddedKafkaBroker.SASL_ADMIN_USER, "secret")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(EmbeddedKafkaBroker.SASL_ADMIN_USER);
  }

  @Test
  void shouldRejectSaslSettingsItDerivesItselfWhenItHasSaslUsers() {
    final EmbeddedKafkaBroker.Builder builder =
        EmbeddedKafkaBroker.builder()
            .brokerProperty("sasl.enabled.mechanisms", "SCRAM-SHA-256")
            .saslPlainUsers(Map.of("alice", "secret"));

    // Rejected before anything is launched.
    assertThatThrownBy(builder::start)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sasl.enabled.mechanisms");
  }

  @Test
  void shouldWriteThePlainJaasConfigAClientNeeds() {
    assertThat(EmbeddedKafkaBroker.plainJaasConfig("alice", "s3cret!"))
        .isEqualTo(
            "org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " username=\"alice\" password=\"s3cret!\";");
  }

  @Test
  void shouldRejectEqualBrokerAndControllerPorts() {
    assertThatThrownBy(
            () -> EmbeddedKafkaBroker.builder().brokerPort(19092).controllerPort(19092).start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("19092");
  }

  @Test
  void shouldTailTheLastFortyLinesOfALog(@TempDir final Path dir) throws IOException {
    final Path log = dir.resolve("broker.log");
    final StringBuilder text = new StringBuilder();
    for (int i = 1; i <= 100; i++) {
      text.append("line ").append(i).append('\n');
    }
    Files.writeString(log, text);

    final String tail = EmbeddedKafkaBroker.tail(log);

    assertThat(tail)
        .startsWith("\n--- last 40 lines of broker.log ---\nline 61\n")
        .endsWith("line 100")
        .doesNotContain("line 60\n");
  }

  @Test
  void shouldTailNothingForAMissingOrEmptyLog(@TempDir final Path dir) throws IOException {
    Files.writeString(dir.resolve("empty.log"), "");

    assertThat(EmbeddedKafkaBroker.tail(dir.resolve("missing.log"))).isEmpty();
    assertThat(EmbeddedKafkaBroker.tail(dir.resolve("empty.log"))).isEmpty();
  }
}
