package org.modelmon.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.modelmon.detector.AlarmStatus;
import org.modelmon.metrics.HealthGauges;
import org.modelmon.testing.PrometheusText;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ModelSummary;
import org.modelmon.window.WindowResult;

/**
 * {@code modelmon_ready} and {@code modelmon_broker_reachable} as a scraper reads them from {@code
 * GET /metrics}, next to what {@code GET /health/ready} answers in the same state.
 */
class HealthGaugesTest {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final AtomicReference<String> streamState = new AtomicReference<>("CREATED");
  private final AtomicBoolean brokerReachable = new AtomicBoolean(false);
  private HttpApi api;

  @BeforeEach
  void startServer() throws IOException {
    api =
        HttpApi.start(
            "127.0.0.1",
            0,
            new PrometheusRegistry(),
            streamState::get,
            brokerReachable::get,
            new NoModels(),
            List.of("1m"),
            Clock.systemUTC());
  }

  @AfterEach
  void stopServer() {
    api.close();
  }

  @ParameterizedTest(name = "stream {0}, broker reachable {1}: ready {2}, /health/ready {3}")
  @CsvSource({
    // Ready needs both: the stream RUNNING and the cluster answering.
    "RUNNING,      true,  1, 200",
    // Kafka Streams stays RUNNING through a broker outage: only the probe shows it.
    "RUNNING,      false, 0, 503",
    "REBALANCING,  true,  0, 503",
    "REBALANCING,  false, 0, 503",
    // Before the stream exists (topics not set up yet).
    "STARTING,     true,  0, 503",
    "ERROR,        true,  0, 503",
  })
  void shouldExportReadinessExactlyAsTheReadyEndpointAnswers(
      final String state, final boolean reachable, final int ready, final int status)
      throws Exception {
    streamState.set(state);
    brokerReachable.set(reachable);

    final PrometheusText metrics = scrape();

    assertThat(get("/health/ready").statusCode()).isEqualTo(status);
    assertThat(metrics.value(HealthGauges.READY)).hasValue((double) ready);
    assertThat(metrics.value(HealthGauges.BROKER_REACHABLE)).hasValue(reachable ? 1.0 : 0.0);
  }

  @ParameterizedTest
  @CsvSource({"modelmon_ready", "modelmon_broker_reachable"})
  void shouldExportEachAsAGaugeWithHelpText(final String name) throws Exception {
    final PrometheusText metrics = scrape();

    assertThat(metrics.type()).containsEntry(name, "gauge");
    assertThat(metrics.help().get(name)).isNotBlank();
    // One unlabelled series: a per-instance value, Prometheus adds job and instance.
    assertThat(metrics.samples(name))
        .singleElement()
        .satisfies(sample -> assertThat(sample.labels()).isEmpty());
  }

  private PrometheusText scrape() throws IOException, InterruptedException {
    final HttpResponse<String> response = get("/metrics");
    assertThat(response.statusCode()).isEqualTo(200);
    return PrometheusText.parse(response.body());
  }

  private HttpResponse<String> get(final String path) throws IOException, InterruptedException {
    return CLIENT.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** An application that knows no model: the health endpoints do not ask it anything. */
  private static final class NoModels implements ModelQueries {
    @Override
    public Map<ModelKey, ModelSummary> modelsOrThrow() {
      return Map.of();
    }

    @Override
    public List<AlarmStatus> alarmsOrThrow() {
      return List.of();
    }

    @Override
    public List<WindowResult> windows(
        final ModelKey key,
        final String window,
        final Instant from,
        final Instant to,
        final int limit) {
      return List.of();
    }
  }
}
