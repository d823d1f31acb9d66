package org.modelmon.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.modelmon.config.Durations;
import org.modelmon.demo.EmbeddedKafkaBroker;
import org.modelmon.testing.KafkaTestUtils;
import org.modelmon.testing.ModelmonProcess;
import org.modelmon.testing.PrometheusText;

/**
 * {@code modelmon run} started before its Kafka cluster, as happens when a whole stack comes up at
 * once: the process stays up — live, not ready, no crash loop — and says why in its log, no more
 * often than its backoff; once a broker answers on the configured address it gets ready and
 * processes events, and a SIGTERM while it waits stops it cleanly.
 */
class UnreachableBrokerStartupIT {

  private static final String COMPLAINT = "Cannot set up topics; not ready, retrying";
  private static final Duration TIMEOUT = Duration.ofSeconds(90);
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final ObjectMapper JSON = new ObjectMapper();
  /** {@code HH:mm:ss.SSS} at the start of a line, as logback-test.xml writes it. */
  private static final Pattern TIME = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d) ");
  private static final Pattern RETRY_IN = Pattern.compile("retryIn=\"([^\"]+)\"");

  private final String suffix = UUID.randomUUID().toString().substring(0, 8);
  private Path workDir;
  private Path output;
  private ModelmonProcess modelmon;
  private EmbeddedKafkaBroker broker;

  @BeforeEach
  void createWorkDir() throws IOException {
    workDir = Files.createTempDirectory("modelmon-no-broker-it");
    output = workDir.resolve("modelmon.out");
  }

  @AfterEach
  void stopEverything() throws IOException, InterruptedException {
    try {
      if (modelmon != null) {
        modelmon.close();
      }
    } finally {
      try {
        if (broker != null) {
          broker.close();
        }
      } finally {
        Utils.delete(workDir.toFile());
      }
    }
  }

  @Test
  void shouldWaitLiveButNotReadyUntilTheBrokerAnswersThenProcess() throws Exception {
    // Given modelmon started against an address where nothing listens, a port below the
    // ephemeral range, so that nothing else takes it before the broker does,
    final int brokerPort = KafkaTestUtils.freeFixedPort();
    final String bootstrap = "127.0.0.1:" + brokerPort;
    modelmon = ModelmonProcess.start(configFile(bootstrap), ModelmonProcess.freePort(), output);

    // then it serves HTTP, live but not ready, with the broker named as the reason,
    modelmon.awaitStatus("/health/live", 200, TIMEOUT);
    final HttpResponse<String> notReady = get("/health/ready");
    assertThat(notReady.statusCode()).isEqualTo(503);
    assertThat(JSON.readTree(notReady.body()))
        .isEqualTo(JSON.readTree("{\"status\": \"STARTING\", \"broker\": \"unreachable\"}"));
    // and stays so, alive, instead of exiting for a supervisor to restart it;
    final long steadyUntil = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < steadyUntil) {
      assertThat(modelmon.process().isAlive()).as(modelmon.tail()).isTrue();
      assertThat(modelmon.status("/health/live")).isEqualTo(200);
      assertThat(modelmon.status("/health/ready")).isEqualTo(503);
      Thread.sleep(500);
    }
    // its log names the servers it cannot reach, and repeats that no sooner than it said.
    final List<String> complaints = awaitLines(line -> line.contains(COMPLAINT), 2);
    for (final String line : complaints) {
      assertThat(line)
          .contains("bootstrapServers=\"" + bootstrap + "\"")
          .containsPattern("error=\"[^\"]*Timed out")
          .containsPattern(RETRY_IN.pattern());
    }
    assertThat(millisBetween(complaints.get(0), complaints.get(1)))
        .as("the second complaint comes after the backoff the first announced")
        .isGreaterThanOrEqualTo(retryIn(complaints.get(0)).toMillis());
    assertThat(lines(line -> line.contains("Kafka cluster unreachable")))
        .as("the probe says it once, not every 2 s")
        .hasSize(1);

    // When a broker starts on that address,
    broker = EmbeddedKafkaBroker.builder().brokerPort(brokerPort).start();

    // then modelmon gets ready, with the stream started once,
    modelmon.awaitStatus("/health/ready", 200, TIMEOUT);
    assertThat(lines(line -> line.contains("Starting stream"))).hasSize(1);
    // and scores what arrives.
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
            new StringSerializer(),
            new StringSerializer())) {
      producer
          .send(
              new ProducerRecord<>(
                  "predictions-" + suffix,
                  "{\"model\": \"patient\", \"probabilities\": {\"a\": 0.9, \"b\": 0.1},"
                      + " \"label\": \"a\"}"))
          .get(30, TimeUnit.SECONDS);
    }
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    double scored = 0;
    while (scored < 1 && System.nanoTime() < deadline) {
      final HttpResponse<String> metrics = get("/metrics");
      scored =
          PrometheusText.parse(metrics.body())
              .value("modelmon_predictions_total", "model", "patient", "version", "")
              .orElse(0.0);
      Thread.sleep(250);
    }
    assertThat(scored).as(modelmon.tail()).isEqualTo(1.0);
    assertThat(modelmon.process().isAlive()).isTrue();
  }

  @Test
  void shouldStopCleanlyOnSigtermWhileWaitingForTheBroker() throws Exception {
    // Given modelmon retrying to set up its topics on a cluster that does not answer,
    final String bootstrap = "127.0.0.1:" + KafkaTestUtils.freeFixedPort();
    modelmon = ModelmonProcess.start(configFile(bootstrap), ModelmonProcess.freePort(), output);
    awaitLines(line -> line.contains(COMPLAINT), 1);

    // when it gets a SIGTERM,
    final long signalled = System.nanoTime();
    modelmon.process().destroy();

    // then it stops at once, cleanly: an attempt under way would otherwise hold it for up to the
    // 15 s of the Admin's API timeout.
    assertThat(modelmon.process().waitFor(45, TimeUnit.SECONDS))
        .as("stopped within 45 s\n%s", modelmon.tail())
        .isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - signalled)).isLessThan(Duration.ofSeconds(10));
    assertThat(modelmon.process().exitValue()).as(modelmon.tail()).isZero();
    final List<String> log = lines(line -> true);
    assertThat(log).anyMatch(line -> line.contains("Stopped"));
    assertThat(log).noneMatch(line -> line.contains("Starting stream"));
    assertThat(log.subList(indexOf(log, "SIGTERM received"), log.size()))
        .as("no complaint once it was asked to stop")
        .noneMatch(line -> line.contains(COMPLAINT));
  }

  private static int indexOf(final List<String> lines, final String text) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(text)) {
        return i;
      }
    }
    throw new AssertionError("no line with " + text + " in\n" + String.join("\n", lines));
  }

  private Path configFile(final String bootstrap) throws IOException {
    final Path config = workDir.resolve("modelmon.properties");
    Files.writeString(
        config,
        String.join(
            "\n",
            "modelmon.bootstrap.servers=" + bootstrap,
            "modelmon.application.id=modelmon-no-broker-" + suffix,
            "modelmon.state.dir=" + workDir.resolve("state"),
            "modelmon.topic.predictions=predictions-" + suffix,
            "modelmon.topic.labels=labels-" + suffix,
            "modelmon.topic.dlq=dlq-" + suffix,
            "modelmon.topic.references=references-" + suffix,
            "modelmon.topic.windows=windows-" + suffix,
            "modelmon.http.host=127.0.0.1",
            ""));
    return config;
  }

  private HttpResponse<String> get(final String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + modelmon.httpPort() + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private List<String> lines(final Predicate<String> filter) throws IOException {
    return Files.readAllLines(output, StandardCharsets.UTF_8).stream().filter(filter).toList();
  }

  /** Waits until the output has {@code count} lines that pass {@code filter}; returns them all. */
  private List<String> awaitLines(final Predicate<String> filter, final int count)
      throws IOException, InterruptedException {
    final long deadline = System.nanoTime() + TIMEOUT.toNanos();
    List<String> found = lines(filter);
    while (found.size() < count && System.nanoTime() < deadline) {
      assertThat(modelmon.process().isAlive()).as(modelmon.tail()).isTrue();
      Thread.sleep(500);
      found = lines(filter);
    }
    assertThat(found).as("%d matching lines within %s\n%s", count, TIMEOUT, modelmon.tail())
        .hasSizeGreaterThanOrEqualTo(count);
    return found;
  }

  private static long millisBetween(final String earlier, final String later) {
    final long millis =
        Duration.between(time(earlier), time(later)).toMillis();
    return millis < 0 ? millis + Duration.ofDays(1).toMillis() : millis; // across midnight
  }

  private static LocalTime time(final String line) {
    final Matcher matcher = TIME.matcher(line);
    assertThat(matcher.find()).as("a time at the start of: %s", line).isTrue();
    return LocalTime.parse(matcher.group(1));
  }

  private static Duration retryIn(final String line) {
    final Matcher matcher = RETRY_IN.matcher(line);
    assertThat(matcher.find()).as("retryIn in: %s", line).isTrue();
    return Durations.parse(matcher.group(1));
  }
}
