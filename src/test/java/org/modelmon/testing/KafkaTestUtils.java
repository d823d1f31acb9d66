package org.modelmon.testing;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaFuture;
import org.modelmon.demo.EmbeddedKafkaBroker;

/** Small helpers for tests that talk to the shared {@link EmbeddedKafkaBroker}. */
public final class KafkaTestUtils {

  /** How long admin operations may take before a test fails. */
  public static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

  private static final Duration POLL_TIMEOUT = Duration.ofMillis(200);

  private KafkaTestUtils() {}

  /**
   * {@code prefix} plus a random suffix; for topic, group and transactional ids on the broker that
   * all tests of a run share.
   */
  public static String uniqueName(final String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** An admin client for {@code broker}; the caller closes it. */
  public static Admin admin(final EmbeddedKafkaBroker broker) {
    return Admin.create(
        Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
  }

  /** Creates a topic with replication factor 1 and waits until the broker has created it. */
  public static void createTopic(final Admin admin, final String name, final int partitions) {
    await(
        admin
            .createTopics(List.of(new NewTopic(name, Optional.of(partitions), Optional.empty())))
            .all(),
        "create topic " + name);
  }

  /**
   * Polls {@code consumer} until the records received so far satisfy {@code done}, and returns them
   * all.
   *
   * @throws AssertionError if {@code timeout} passes first; the message says how many records had
   *     arrived
   */
  public static <K, V> List<ConsumerRecord<K, V>> consumeUntil(
      final Consumer<K, V> consumer,
      final Predicate<List<ConsumerRecord<K, V>>> done,
      final Duration timeout) {
    final List<ConsumerRecord<K, V>> received = new ArrayList<>();
    final long deadlineNanos = System.nanoTime() + timeout.toNanos();
    while (!done.test(received)) {
      if (System.nanoTime() - deadlineNanos > 0) {
        throw new AssertionError(
            "condition not met within " + timeout + "; received " + received.size() + " records");
      }
      consumer.poll(POLL_TIMEOUT).forEach(received::add);
    }
    return received;
  }

  /** Polls {@code consumer} until at least {@code count} records have arrived. */
  public static <K, V> List<ConsumerRecord<K, V>> consumeAtLeast(
      final Consumer<K, V> consumer, final int count, final Duration timeout) {
    return consumeUntil(consumer, records -> records.size() >= count, timeout);
  }

  /**
   * A loopback port free right now and below the kernel's ephemeral port range, for a broker that
   * must keep its ports across a restart, or one that starts on a port chosen in advance. While
   * nothing listens there, no other process can be handed such a port for an outgoing connection
   * or a {@code new ServerSocket(0)}, and a client connecting to it can never connect to itself.
   */
  public static int freeFixedPort() throws IOException {
    final int ephemeralLow = ephemeralRangeLow();
    final int low = Math.max(1024, ephemeralLow - 12_000);
    for (int attempt = 0; attempt < 100; attempt++) {
      final int port = ThreadLocalRandom.current().nextInt(low, ephemeralLow);
      try (ServerSocket socket = new ServerSocket()) {
        // 127.0.0.1, where the embedded broker listens.
        socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 1);
        return port;
      } catch (final BindException taken) {
        // try another
      }
    }
    throw new IllegalStateException("no free port in [" + low + ", " + ephemeralLow + ")");
  }

  /** The first port of Linux's ephemeral range, or the IANA one's elsewhere. */
  private static int ephemeralRangeLow() {
    try {
      // Line by line: readString trusts the size procfs reports and returns a truncated text.
      final String range =
          Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).strip();
      final int low = Integer.parseInt(range.split("\\s+")[0]);
      // A range starting very low leaves no room below it; the IANA range's start is free then.
      return low >= 16_384 ? low : 49_152;
    } catch (final IOException | RuntimeException e) {
      return 49_152;
    }
  }

  private static <T> T await(final KafkaFuture<T> future, final String what) {
    try {
      return future.get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (final InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + what, e);
    } catch (final ExecutionException e) {
      throw new IllegalStateException("failed: " + what, e.getCause());
    } catch (final TimeoutException e) {
      throw new IllegalStateException("timed out after " + ADMIN_TIMEOUT + ": " + what, e);
    }
  }
}
