package org.modelmon.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.modelmon.detector.AlarmStatus;
import org.modelmon.metrics.HealthGauges;
import org.modelmon.window.ModelKey;
import org.modelmon.window.ModelSummary;
import org.modelmon.window.WindowResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * modelmon's HTTP endpoints (docs/reference.md#http-endpoints): {@code /metrics}, {@code
 * /health/live}, {@code /health/ready}, the {@code /api/v1} queries and the status page at {@code
 * /}, on the JDK's built-in server.
 *
 * <p>The API answers from this instance's state stores only. Errors are JSON {@code {"error":
 * "..."}} with a 4xx or 5xx status, never a stack trace.
 */
public final class HttpApi implements AutoCloseable {

  /** Most window results one request returns. */
  public static final int MAX_WINDOWS = 10_000;

  /** The window history a request covers when it gives no {@code from}. */
  public static final Duration DEFAULT_RANGE = Duration.ofHours(24);

  /**
   * Most characters of a request's own text — a path, a parameter — quoted back in an error, so
   * that an error answer stays small however long the request.
   */
  static final int MAX_QUOTED = 80;

  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MODELS_PATH = "/api/v1/models";
  private static final String ALARMS_PATH = "/api/v1/alarms";

  /**
   * Query parameter a peer instance sets when it forwards a query here: answer from this instance's
   * own state stores only.
   */
  public static final String LOCAL_PARAMETER = "local";

  private static final Comparator<WindowResult> WINDOW_ORDER =
      Comparator.comparingLong(WindowResult::startMillis)
          .thenComparingLong(WindowResult::endMillis)
          .thenComparing(WindowResult::version);

  private final HttpServer server;
  private final ExecutorService executor;
  private final Supplier<String> streamState;
  private final BooleanSupplier brokerReachable;
  private final ModelQueries queries;
  private final List<String> windowLabels;
  private final Clock clock;

  private HttpApi(
      final HttpServer server,
      final Supplier<String> streamState,
      final BooleanSupplier brokerReachable,
      final ModelQueries queries,
      final List<String> windowLabels,
      final Clock clock) {
    this.server = server;
    this.streamState = streamState;
    this.brokerReachable = brokerReachable;
    this.queries = queries;
    this.windowLabels = List.copyOf(windowLabels);
    this.clock = clock;
    final AtomicInteger threads = new AtomicInteger();
    this.executor =
        Executors.newFixedThreadPool(
            4,
            runnable -> {
              final Thread thread =
                  new Thread(runnable, "modelmon-http-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    server.setExecutor(executor);
  }

  /**
   * Starts serving.
   *
   * @param host bind address
   * @param port port, 0 for any free one
   * @param registry what {@code /metrics} exports; {@code modelmon_ready} and {@code
   *     modelmon_broker_reachable} are registered in it here, from the same answers
   * @param streamState the Kafka Streams state name; ready needs {@code RUNNING}
   * @param brokerReachable whether the Kafka cluster answers; ready needs it too, since the stream
   *     stays {@code RUNNING} through a broker outage
   * @param queries what the API answers from
   * @param windowLabels the configured windows, as labelled
   */
  public static HttpApi start(
      final String host,
      final int port,
      final PrometheusRegistry registry,
      final Supplier<String> streamState,
      final BooleanSupplier brokerReachable,
      final ModelQueries queries,
      final List<String> windowLabels,
      final Clock clock)
      throws IOException {
    final HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 0);
    final HttpApi api =
        new HttpApi(server, streamState, brokerReachable, queries, windowLabels, clock);
    HealthGauges.register(registry, api::isReady, brokerReachable);
    server.createContext("/metrics", new MetricsHandler(PrometheusProperties.get(), registry));
    server.createContext("/health/live", api.handler(api::live));
    server.createContext("/health/ready", api.handler(api::ready));
    server.createContext(MODELS_PATH, api.handler(api::models));
    server.createContext(ALARMS_PATH, api.handler(api::alarms));
    server.createContext(
        "/",
        StatusPageHandler.create(
            api.handler(exchange -> notFound(exchange.getRequestURI().getRawPath()))));
    server.start();
    LOG.atInfo().addKeyValue("address", host + ":" + api.port()).log("HTTP endpoints serving");
    return api;
  }

  /** The port listened on. */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** An answer: status and JSON body. */
  private record Answer(int status, Object body) {}

  private static final class ApiException extends RuntimeException {
    private final int status;

    ApiException(final int status, final String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  @FunctionalInterface
  private interface Route {
    Answer answer(HttpExchange exchange);
  }

  private HttpHandler handler(final Route route) {
    return exchange -> {
      Answer answer;
      try {
        if (!"GET".equals(exchange.getRequestMethod())
            && !"HEAD".equals(exchange.getRequestMethod())) {
          throw new ApiException(405, "method not allowed: " + quote(exchange.getRequestMethod()));
        }
        answer = route.answer(exchange);
      } catch (ApiException e) {
        answer = error(e.status, e.getMessage());
      } catch (NotReadyException e) {
        answer = error(503, e.getMessage());
      } catch (RuntimeException e) {
        LOG.atError()
            .setCause(e)
            .addKeyValue("path", quote(exchange.getRequestURI().getPath()))
            .log("HTTP request failed");
        answer = error(500, "internal error");
      }
      send(exchange, answer);
    };
  }

  private static Answer error(final int status, final String message) {
    return new Answer(status, Map.of("error", message));
  }

  private static Answer notFound(final String path) {
    return error(404, "no such endpoint: " + quote(path));
  }

  /**
   * {@code text} as quoted in an error: at most {@link #MAX_QUOTED} characters of it, never half of
   * a surrogate pair.
   */
  static String quote(final String text) {
    if (text.length() <= MAX_QUOTED) {
      return text;
    }
    final int end =
        Character.isHighSurrogate(text.charAt(MAX_QUOTED - 1)) ? MAX_QUOTED - 1 : MAX_QUOTED;
    return text.substring(0, end) + "… (" + text.length() + " characters)";
  }

  private static ApiException noSuchEndpoint(final HttpExchange exchange) {
    // The raw path: decoded, /a%2Fb would read as the different /a/b.
    return new ApiException(
        404, "no such endpoint: " + quote(exchange.getRequestURI().getRawPath()));
  }

  private static void send(final HttpExchange exchange, final Answer answer) throws IOException {
    final byte[] body = JSON.writeValueAsBytes(answer.body());
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    final boolean head = "HEAD".equals(exchange.getRequestMethod());
    exchange.sendResponseHeaders(answer.status(), head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
    exchange.close();
  }

  private Answer live(final HttpExchange exchange) {
    exactPath(exchange, "/health/live");
    return new Answer(200, Map.of("status", "UP"));
  }

  /**
   * 200 when the stream is {@code RUNNING} and the Kafka cluster answers, else 503; either way
   * {@code status} is the stream state and {@code broker} says whether the cluster answers.
   */
  private Answer ready(final HttpExchange exchange) {
    exactPath(exchange, "/health/ready");
    final String state = streamState.get();
    final boolean reachable = brokerReachable.getAsBoolean();
    final Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", state);
    body.put("broker", reachable ? "reachable" : "unreachable");
    return new Answer(ready(state, reachable) ? 200 : 503, body);
  }

  /** What {@code modelmon_ready} exports: whether {@code /health/ready} would answer 200 now. */
  private boolean isReady() {
    return ready(streamState.get(), brokerReachable.getAsBoolean());
  }

  private static boolean ready(final String streamState, final boolean brokerReachable) {
    return "RUNNING".equals(streamState) && brokerReachable;
  }

  private static void exactPath(final HttpExchange exchange, final String path) {
    if (!exchange.getRequestURI().getPath().equals(path)) {
      throw noSuchEndpoint(exchange);
    }
  }

  private Answer models(final HttpExchange exchange) {
    final String path = exchange.getRequestURI().getRawPath();
    final Query query = Query.parse(exchange.getRequestURI().getRawQuery());
    final ModelQueries source = query.flag(LOCAL_PARAMETER) ? queries.local() : queries;
    if (path.equals(MODELS_PATH) || path.equals(MODELS_PATH + "/")) {
      return new Answer(200, modelList(source));
    }
    // The server routes by plain string prefix, so /api/v1/modelsX... lands here too.
    if (!path.startsWith(MODELS_PATH + "/")) {
      throw noSuchEndpoint(exchange);
    }
    final String rest = path.substring(MODELS_PATH.length() + 1);
    final int slash = rest.indexOf('/');
    if (slash <= 0 || !rest.substring(slash).equals("/windows")) {
      throw noSuchEndpoint(exchange);
    }
    final String model = Query.decode(rest.substring(0, slash));
    return new Answer(200, windows(source, model, query));
  }

  private Answer alarms(final HttpExchange exchange) {
    final String path = exchange.getRequestURI().getRawPath();
    if (!path.equals(ALARMS_PATH) && !path.equals(ALARMS_PATH + "/")) {
      throw noSuchEndpoint(exchange);
    }
    final Query query = Query.parse(exchange.getRequestURI().getRawQuery());
    final ModelQueries source = query.flag(LOCAL_PARAMETER) ? queries.local() : queries;
    final List<AlarmStatus> alarms = new ArrayList<>(source.alarmsOrThrow());
    alarms.sort(Comparator.comparing(AlarmStatus::model).thenComparing(AlarmStatus::version));
    return new Answer(200, alarms);
  }

  private List<Map<String, Object>> modelList(final ModelQueries source) {
    final List<Map<String, Object>> models = new ArrayList<>();
    source.modelsOrThrow().entrySet().stream()
        .sorted(
            Map.Entry.comparingByKey(
                Comparator.comparing(ModelKey::model).thenComparing(ModelKey::version)))
        .forEach(
            entry -> {
              final Map<String, Object> item = new LinkedHashMap<>();
              final ModelSummary summary = entry.getValue();
              item.put("model", entry.getKey().model());
              item.put("version", entry.getKey().version());
              item.put("lastEventTime", Instant.ofEpochMilli(summary.lastEventMillis()).toString());
              item.put("lastEventMillis", summary.lastEventMillis());
              item.put("predictions", summary.predictions());
              models.add(item);
            });
    return models;
  }

  private List<WindowResult> windows(
      final ModelQueries source, final String model, final Query query) {
    final long to = query.epochMillis("to").orElseGet(() -> clock.instant().toEpochMilli());
    final long from =
        query.epochMillis("from").orElse(saturatedSubtract(to, DEFAULT_RANGE.toMillis()));
    if (from > to) {
      throw new ApiException(400, "from must not be after to");
    }
    final int limit = query.integer("limit", MAX_WINDOWS);
    if (limit < 1 || limit > MAX_WINDOWS) {
      throw new ApiException(400, "limit must be between 1 and " + MAX_WINDOWS);
    }
    final List<String> windows = query.value("window").map(List::of).orElse(windowLabels);
    for (final String window : windows) {
      if (!windowLabels.contains(window)) {
        throw new ApiException(
            400, "unknown window " + quote(window) + "; configured: " + windowLabels);
      }
    }
    final List<ModelKey> series = new ArrayList<>();
    for (final ModelKey key : source.modelsOrThrow().keySet()) {
      if (key.model().equals(model)
          && query.present("version").map(key.version()::equals).orElse(true)) {
        series.add(key);
      }
    }
    if (series.isEmpty()) {
      throw new ApiException(
          404,
          "unknown model "
              + quote(model)
              + query.present("version").map(v -> " version " + quote(v)).orElse(""));
    }
    final List<WindowResult> results = new ArrayList<>();
    // Every window starts at or after the epoch: an earlier part of the range holds nothing.
    if (to < 0) {
      return results;
    }
    // Any series may hold the earliest windows: take up to limit of each, keep the earliest limit.
    // Once limit are kept, a later series can only add windows starting no later than the last
    // kept one, so each store scan stops there: a huge range costs at most limit per series.
    long upTo = to;
    for (final ModelKey key : series) {
      for (final String window : windows) {
        results.addAll(
            source.windows(
                key,
                window,
                Instant.ofEpochMilli(Math.max(from, 0)),
                Instant.ofEpochMilli(upTo),
                limit));
        if (results.size() > limit) {
          results.sort(WINDOW_ORDER);
          results.subList(limit, results.size()).clear();
          upTo = results.get(limit - 1).startMillis();
        }
      }
    }
    results.sort(WINDOW_ORDER);
    return results;
  }

  private static long saturatedSubtract(final long a, final long b) {
    final long difference = a - b;
    // Overflow only when the signs of a and b differ and the result's sign is not a's.
    return ((a ^ b) & (a ^ difference)) < 0 ? Long.MIN_VALUE : difference;
  }

  /** Query-string parameters, validated on access. */
  private record Query(Map<String, String> values) {

    static Query parse(final String rawQuery) {
      final Map<String, String> values = new LinkedHashMap<>();
      if (rawQuery != null && !rawQuery.isEmpty()) {
        for (final String pair : rawQuery.split("&")) {
          if (pair.isEmpty()) {
            continue; // "a=1&&b=2"
          }
          final int equals = pair.indexOf('=');
          final String name = decode(equals < 0 ? pair : pair.substring(0, equals));
          final String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
          if (values.putIfAbsent(name, value) != null) {
            throw new ApiException(400, "parameter " + quote(name) + " given twice");
          }
        }
      }
      return new Query(values);
    }

    static String decode(final String text) {
      try {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw new ApiException(400, "malformed percent escape in " + quote(text));
      }
    }

    java.util.Optional<String> value(final String name) {
      return java.util.Optional.ofNullable(values.get(name)).filter(v -> !v.isEmpty());
    }

    /** The parameter as given, empty included: {@code version=} selects the version "". */
    java.util.Optional<String> present(final String name) {
      return java.util.Optional.ofNullable(values.get(name));
    }

    boolean flag(final String name) {
      return value(name)
          .map(
              text -> {
                if (!text.equals("true") && !text.equals("false")) {
                  throw new ApiException(400, name + " must be true or false");
                }
                return text.equals("true");
              })
          .orElse(false);
    }

    /** A time as epoch milliseconds: what the stores and peers take, so it must fit a long. */
    java.util.Optional<Long> epochMillis(final String name) {
      return value(name).map(text -> parseEpochMillis(name, text));
    }

    int integer(final String name, final int fallback) {
      return value(name)
          .map(
              text -> {
                try {
                  return Integer.parseInt(text);
                } catch (NumberFormatException e) {
                  throw new ApiException(400, name + " must be an integer, got " + quote(text));
                }
              })
          .orElse(fallback);
    }

    private static long parseEpochMillis(final String name, final String text) {
      final boolean digits = text.chars().allMatch(c -> c >= '0' && c <= '9');
      try {
        return digits ? Long.parseLong(text) : Instant.parse(text).toEpochMilli();
      } catch (NumberFormatException | ArithmeticException e) {
        throw new ApiException(
            400,
            name
                + " is out of range: epoch milliseconds from 0 to "
                + Long.MAX_VALUE
                + " or an"
                + " ISO-8601 instant within ±292 million years, got "
                + quote(text));
      } catch (DateTimeParseException e) {
        throw new ApiException(
            400, name + " must be epoch milliseconds or an ISO-8601 instant, got " + quote(text));
      }
    }
  }
}
