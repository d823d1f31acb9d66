package org.modelmon.http;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.modelmon.metrics.WindowMetricsCollector;
import org.modelmon.reference.ReferenceParser;
import org.modelmon.topology.TopologyFixture;

/**
 * The real topology of a {@link TopologyFixture}, its stores read by {@link DriverStateQueries} and
 * served by {@link HttpApi} on a free loopback port, as the HTTP tests and the status page test
 * need it. Closing it stops the server and the driver.
 */
final class ServedTopology implements AutoCloseable {

  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  final TopologyFixture fixture;
  final DriverStateQueries queries;

  /** What {@code /health/ready} reports; tests set it. */
  final AtomicReference<String> streamState = new AtomicReference<>("RUNNING");

  /** Whether {@code /health/ready} is told the Kafka cluster answers; tests set it. */
  final AtomicBoolean brokerReachable = new AtomicBoolean(true);

  final HttpApi api;

  private ServedTopology(
      final TopologyFixture fixture, final List<String> windows, final Instant now)
      throws IOException {
    this.fixture = fixture;
    this.queries =
        new DriverStateQueries(
            fixture.driver,
            new ReferenceParser(fixture.config.probabilityTolerance(), fixture.config.maxClasses()),
            fixture.config.detector());
    WindowMetricsCollector.register(
        fixture.registry,
        queries,
        fixture.config.metricsMaxClasses(),
        fixture.config.detector().h());
    this.api =
        HttpApi.start(
            "127.0.0.1",
            0,
            fixture.registry,
            streamState::get,
            brokerReachable::get,
            queries,
            windows,
            Clock.fixed(now, ZoneOffset.UTC));
  }

  /**
   * Serves the fixture's stores; closing the result closes the fixture too.
   *
   * @param windows the configured window labels
   * @param now the server's clock, which the API's default time range counts back from
   */
  static ServedTopology serve(
      final TopologyFixture fixture, final List<String> windows, final Instant now)
      throws IOException {
    try {
      return new ServedTopology(fixture, windows, now);
    } catch (IOException | RuntimeException e) {
      fixture.close();
      throw e;
    }
  }

  /** The address of a path on the server, e.g. {@code /} or {@code /api/v1/models}. */
  URI uri(final String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + api.port() + pathAndQuery);
  }

  /** GET with optional request headers, as name-value pairs. */
  HttpResponse<String> get(final String pathAndQuery, final String... headers)
      throws IOException, InterruptedException {
    return send(pathAndQuery, "GET", headers);
  }

  /** Any method without a body, with optional request headers as name-value pairs. */
  HttpResponse<String> send(final String pathAndQuery, final String method, final String... headers)
      throws IOException, InterruptedException {
    final HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(pathAndQuery))
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (headers.length > 0) {
      request.headers(headers);
    }
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    try {
      api.close();
    } finally {
      fixture.close();
    }
  }
}
