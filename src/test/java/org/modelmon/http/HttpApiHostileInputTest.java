package org.modelmon.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.modelmon.topology.TopologyFixture.EVENT_TIME_ORIGIN;
import static org.modelmon.topology.TopologyFixture.WALL_CLOCK_START;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.modelmon.TestConfigs;
import org.modelmon.topology.TopologyFixture;
import org.modelmon.window.ModelKey;
import org.modelmon.window.WindowResult;

/**
 * {@link HttpApi} under hostile requests: malformed and overlong paths, path tricks, odd
 * characters, malformed, duplicated and out-of-range parameters, unknown models and huge time
 * ranges. Every answer is a 4xx — never a 500, never a stack trace — with a small body, and a
 * window query never scans more than its limit.
 *
 * <p>Requests go over a plain socket, byte for byte as written here, since an HTTP client would
 * refuse to send most of them. A request line that is not a valid URI ({@code %zz}, a raw NUL) is
 * answered by the JDK's HTTP server itself, before modelmon sees it: a 400 with a short HTML body.
 * Everything else reaches modelmon and is answered as JSON {@code {"error": "..."}}.
 *
 * <p>The stores hold more final windows than one request may return: {@code busy@a} has a 1 s
 * window for each of 10,048 seconds, {@code busy@b} 100 among them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HttpApiHostileInputTest {

  /** Most bytes an error answer may have, headers included. */
  private static final int SMALL = 1024;

  private static final Instant START = EVENT_TIME_ORIGIN.minus(Duration.ofHours(3));
  private static final int BUSY_A_EVENTS = 10_050;
  private static final int BUSY_B_EVENTS = 100;
  private static final String LONG = "a".repeat(64 * 1024);
  private static final ObjectMapper JSON = new ObjectMapper();

  private ServedTopology served;

  @BeforeAll
  void serveManyWindows() throws IOException {
    final TopologyFixture fixture =
        new TopologyFixture(TestConfigs.config("1s", Duration.ofSeconds(1), Duration.ofMinutes(1)));
    // busy@a: one event in each second from START on; busy@b: one in each of the first 100.
    for (int i = 0; i < BUSY_A_EVENTS; i++) {
      fixture.send(event("a", START.plusMillis(i * 1000L + 500)));
      if (i < BUSY_B_EVENTS) {
        fixture.send(event("b", START.plusMillis(i * 1000L + 250)));
      }
    }
    // One flush: all partials, then stream time START + 10,049.5 s; with 1 s grace every window
    // up to [START + 10,047 s, START + 10,048 s) is final.
    fixture.advanceWallClock(Duration.ofSeconds(1));
    served = ServedTopology.serve(fixture, List.of("1s"), WALL_CLOCK_START);
    assertThat(history("a")).hasSize(BUSY_A_EVENTS - 2);
    assertThat(history("b")).hasSize(BUSY_B_EVENTS);
    // Untimed, so that the timed queries below measure the query, not class loading and JIT.
    assertThat(get("/api/v1/models/busy/windows?from=0&to=9223372036854775807").status())
        .isEqualTo(200);
  }

  @AfterAll
  void stop() {
    if (served != null) {
      served.close();
    }
  }

  private static String event(final String version, final Instant time) {
    return String.format(
        Locale.ROOT,
        "{\"model\": \"busy\", \"version\": \"%s\", \"timestamp\": %d, \"score\": 0.25,"
            + " \"label\": 0}",
        version,
        time.toEpochMilli());
  }

  private List<WindowResult> history(final String version) {
    return served.queries.windows(
        new ModelKey("busy", version),
        "1s",
        Instant.EPOCH,
        Instant.ofEpochMilli(Long.MAX_VALUE),
        Integer.MAX_VALUE);
  }

  // --- a raw HTTP/1.1 client ---

  /** A response as it came over the wire. */
  private record Raw(int status, Map<String, String> headers, byte[] bytes, String body) {

    String contentType() {
      return headers.getOrDefault("content-type", "");
    }
  }

  /** Sends {@code GET target} exactly as given (ISO-8859-1 bytes, so raw NULs and all). */
  private Raw get(final String target) throws IOException {
    return send(("GET " + target + " HTTP/1.1").getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Sends {@code GET target} with the target's characters as UTF-8 bytes. */
  private Raw getUtf8(final String target) throws IOException {
    return send(("GET " + target + " HTTP/1.1").getBytes(StandardCharsets.UTF_8));
  }

  private Raw send(final byte[] requestLine) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", served.api.port())) {
      socket.setSoTimeout(10_000);
      final OutputStream out = socket.getOutputStream();
      out.write(requestLine);
      out.write(
          "\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      final byte[] response = readAll(socket.getInputStream());
      final String text = new String(response, StandardCharsets.UTF_8);
      final int headerEnd = text.indexOf("\r\n\r\n");
      assertThat(headerEnd).as("a complete response head").isPositive();
      final String[] head = text.substring(0, headerEnd).split("\r\n");
      final int status = Integer.parseInt(head[0].split(" ")[1]);
      final Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < head.length; i++) {
        final int colon = head[i].indexOf(':');
        headers.put(
            head[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            head[i].substring(colon + 1).trim());
      }
      return new Raw(status, headers, response, text.substring(headerEnd + 4));
    }
  }

  private static byte[] readAll(final InputStream in) throws IOException {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final byte[] buffer = new byte[64 * 1024];
    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
      bytes.write(buffer, 0, n);
      assertThat(bytes.size()).as("response size").isLessThan(32 * 1024 * 1024);
    }
    return bytes.toByteArray();
  }

  /** A 4xx, small, without a stack trace. */
  private static void assertSmallClientError(final Raw response, final int status) {
    assertThat(response.status()).as(response.body()).isEqualTo(status);
    assertThat(response.bytes().length).as("response size").isLessThanOrEqualTo(SMALL);
    assertThat(response.body()).doesNotContain("\tat ", "java.", "org.modelmon", "org.apache");
  }

  /** As {@link #assertSmallClientError}, answered by modelmon: exactly {@code {"error": ...}}. */
  private static void assertJsonError(final Raw response, final int status) throws IOException {
    assertSmallClientError(response, status);
    assertThat(response.body()).doesNotContain("Exception");
    assertThat(response.contentType()).isEqualTo("application/json");
    final JsonNode body = JSON.readTree(response.body());
    assertThat(body.isObject()).isTrue();
    assertThat(body.size()).isEqualTo(1);
    assertThat(body.get("error").isTextual()).isTrue();
    assertThat(body.get("error").asText()).isNotBlank();
    // Whole characters only: no half of a surrogate pair where a long text was cut short.
    assertThat(body.get("error").asText().codePoints().noneMatch(c -> c >= 0xD800 && c <= 0xDFFF))
        .as(body.get("error").asText())
        .isTrue();
  }

  // --- malformed paths ---

  static Stream<Arguments> hostilePaths() {
    return Stream.of(
        Arguments.of("/api/v1/models//windows", 404),
        Arguments.of("/api/v1/models///windows", 404),
        Arguments.of("/api/v1/models/windows", 404),
        Arguments.of("/api/v1/models/" + LONG + "/windows", 404),
        Arguments.of("/api/v1/models/" + LONG, 404),
        Arguments.of("/api/v1/" + LONG, 404),
        Arguments.of("/" + LONG, 404),
        Arguments.of("/static/" + LONG + ".js", 404),
        Arguments.of("/health/live/" + LONG, 404),
        Arguments.of("/api/v1/models/../windows", 404),
        Arguments.of("/api/v1/models/%2e%2e/windows", 404),
        Arguments.of("/api/v1/models/..%2f..%2f..%2fetc%2fpasswd/windows", 404),
        Arguments.of("/api/v1/models/busy/../../models", 404),
        Arguments.of("/api/v1/models/busy%2Fwindows", 404),
        Arguments.of("/api/v1/../../../etc/passwd", 404),
        Arguments.of("/api/v1/models/%00/windows", 404),
        Arguments.of("/api/v1/models/busy%00/windows", 404),
        Arguments.of("/api/v1/models/busy/windows%00", 404),
        Arguments.of("/api/v1/models/%C3%BC%F0%9F%98%80/windows", 404),
        Arguments.of("/api/v1/models/%ff%fe%c3/windows", 404),
        Arguments.of("/api/v1/models/%E2%80%AE%0D%0AX-Injected:%201/windows", 404),
        Arguments.of("/api/v1/models/busy+a/windows", 404),
        // an emoji (a surrogate pair) where a long model name is cut short in the error
        Arguments.of(
            "/api/v1/models/" + "a".repeat(79) + "%F0%9F%98%80".repeat(3) + "/windows", 404),
        Arguments.of("/api/v1/models/" + "%F0%9F%98%80".repeat(500) + "/windows", 404));
  }

  @ParameterizedTest(name = "[{index}] GET {0} -> {1}")
  @MethodSource("hostilePaths")
  void shouldAnswerAHostilePathWithASmallJsonError(final String path, final int status)
      throws IOException {
    final Raw response = get(path);

    assertJsonError(response, status);
    assertThat(response.headers()).doesNotContainKey("x-injected");
  }

  @Test
  void shouldAnswerAPathOfRawUnicodeWithAJsonError() throws IOException {
    for (final String path : List.of("/api/v1/models/ü/windows", "/api/v1/models/büsy", "/ü")) {
      assertJsonError(getUtf8(path), 404);
    }
    // The server reads the request line as ISO-8859-1: UTF-8 bytes of U+0080 to U+009F are C1
    // control characters there, which no URI holds, as are those of most emoji.
    for (final String path :
        List.of("/api/v1/models/\u202ebusy/windows", "/api/v1/models/😀/windows")) {
      assertSmallClientError(getUtf8(path), 400);
    }
  }

  @Test
  void shouldLetTheServerRefuseARequestLineThatIsNoUri() throws IOException {
    // The JDK's server answers these before any handler runs: 400, a few bytes of HTML.
    for (final String target :
        List.of(
            "/api/v1/models/%zz/windows",
            "/api/v1/models/%/windows",
            "/api/v1/models/busy%2/windows",
            "/api/v1/models/busy/windows?from=%zz",
            "/api/v1/models/bu\0sy/windows",
            "/api/v1/models/busy/windows?window=1s%",
            "/api/v1/models/busy/windows?from=1#%zz")) {
      assertSmallClientError(get(target), 400);
    }
  }

  // --- parameters ---

  static Stream<Arguments> hostileQueries() {
    return Stream.of(
        // duplicated
        Arguments.of("window=1s&window=1s", 400),
        Arguments.of("from=0&from=1", 400),
        Arguments.of("from=0&from=0", 400),
        Arguments.of("version=a&version=b", 400),
        Arguments.of("local=true&local=false", 400),
        Arguments.of("limit=1&limit=1", 400),
        Arguments.of("fr%6Fm=0&from=1", 400),
        // malformed
        Arguments.of("from=yesterday", 400),
        Arguments.of("from=0x10", 400),
        Arguments.of("from=1e3", 400),
        Arguments.of("from=1.5", 400),
        Arguments.of("from=%2B1", 400),
        Arguments.of("from=%20" + "1", 400),
        Arguments.of("from=%00", 400),
        Arguments.of("from=" + "9".repeat(64 * 1024), 400),
        Arguments.of("from=2026-13-01T00:00:00Z", 400),
        Arguments.of("from=2026-11-28T14:00:00", 400),
        Arguments.of("limit=ten", 400),
        Arguments.of("limit=0", 400),
        Arguments.of("limit=-1", 400),
        Arguments.of("limit=10001", 400),
        Arguments.of("limit=2147483648", 400),
        Arguments.of("limit=99999999999999999999999999", 400),
        Arguments.of("limit=" + "9".repeat(64 * 1024), 400),
        Arguments.of("local=yes", 400),
        Arguments.of("local=" + LONG, 400),
        Arguments.of("window=2s", 400),
        Arguments.of("window=%00", 400),
        Arguments.of("window=" + LONG, 400),
        Arguments.of(LONG + "=1&" + LONG + "=2", 400),
        // out of range
        Arguments.of("from=-1", 400),
        Arguments.of("to=-9223372036854775808", 400),
        Arguments.of("to=9223372036854775808", 400),
        Arguments.of("from=%2B999999999-12-31T23:59:59.999999999Z", 400),
        Arguments.of("to=%2B999999999-12-31T23:59:59.999999999Z", 400),
        Arguments.of("to=-999999999-01-01T00:00:00Z", 400),
        Arguments.of("from=-999999999-01-01T00:00:00Z&to=1", 400),
        Arguments.of("from=%2B292278994-08-17T07:12:55.808Z", 400),
        Arguments.of("from=9223372036854775807&to=0", 400),
        // unknown
        Arguments.of("version=c", 404),
        Arguments.of("version=" + LONG, 404),
        Arguments.of("version=%00", 404));
  }

  @ParameterizedTest(name = "[{index}] ?{0} -> {1}")
  @MethodSource("hostileQueries")
  void shouldAnswerAHostileQueryWithASmallJsonError(final String query, final int status)
      throws IOException {
    assertJsonError(get("/api/v1/models/busy/windows?" + query), status);
  }

  @Test
  void shouldAnswerUnknownModelsWithASmallJsonError() throws IOException {
    for (final String model : List.of("nope", "BUSY", "busy%20", "busy.", LONG, "%00", "-")) {
      assertJsonError(get("/api/v1/models/" + model + "/windows?from=0&to=1"), 404);
    }
  }

  @Test
  void shouldAnswerOtherMethodsWithASmallJsonError() throws IOException {
    for (final String method : List.of("POST", "DELETE", "TRACE", "X" + LONG)) {
      assertJsonError(
          send((method + " /api/v1/models/busy/windows HTTP/1.1").getBytes(StandardCharsets.UTF_8)),
          405);
    }
  }

  // --- huge ranges ---

  @Test
  void shouldAnswerTheWholeTimeLineWithAtMostTheLimit() throws IOException {
    final List<WindowResult> all = new ArrayList<>(history("a"));
    all.addAll(history("b"));
    all.sort(
        Comparator.comparingLong(WindowResult::startMillis)
            .thenComparingLong(WindowResult::endMillis)
            .thenComparing(WindowResult::version));

    for (final String range :
        List.of(
            "from=0&to=9223372036854775807",
            "from=1970-01-01T00:00:00Z&to=%2B292278994-08-17T07:12:55.807Z",
            "to=9223372036854775807&from=0&window=1s",
            "from=0000000000000000000000000000&to=9223372036854775807")) {
      final Raw response = get("/api/v1/models/busy/windows?" + range);

      assertThat(response.status()).as(range).isEqualTo(200);
      final List<WindowResult> windows =
          List.of(JSON.readValue(response.body(), WindowResult[].class));
      assertThat(windows).as(range).hasSize(HttpApi.MAX_WINDOWS);
      assertThat(windows).as(range).isEqualTo(all.subList(0, HttpApi.MAX_WINDOWS));
    }
  }

  @Test
  void shouldAnswerTheWholeTimeLineQuickly() throws IOException {
    // A scan in proportion to the range (2^63 ms) would never end; one in proportion to the
    // limit takes a fraction of a second. The fastest of three tries, since the build machine
    // may be busy with other work.
    assertThat(fastestOfThree("/api/v1/models/busy/windows?from=0&to=9223372036854775807"))
        .isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void shouldScanNoMoreThanTheLimitOfAHugeRange() throws IOException {
    final String query = "/api/v1/models/busy/windows?from=0&to=9223372036854775807&limit=3";
    final Raw response = get(query);

    assertThat(response.status()).isEqualTo(200);
    final WindowResult[] windows = JSON.readValue(response.body(), WindowResult[].class);
    // a and b share each of the first 100 one-second windows: ordered by version.
    assertThat(windows).extracting(WindowResult::version).containsExactly("a", "b", "a");
    assertThat(windows[0].startMillis()).isEqualTo(START.toEpochMilli());
    assertThat(fastestOfThree(query)).isLessThan(Duration.ofMillis(500));
  }

  private Duration fastestOfThree(final String pathAndQuery) throws IOException {
    Duration fastest = null;
    for (int i = 0; i < 3; i++) {
      final long started = System.nanoTime();
      assertThat(get(pathAndQuery).status()).isEqualTo(200);
      final Duration took = Duration.ofNanos(System.nanoTime() - started);
      fastest = fastest == null || took.compareTo(fastest) < 0 ? took : fastest;
    }
    return fastest;
  }

  @Test
  void shouldAnswerARangeBeforeAnyWindowEmpty() throws IOException {
    for (final String range :
        List.of(
            "from=0&to=0",
            "from=1960-01-01T00:00:00Z&to=1969-12-31T23:59:59.999Z",
            "to=1970-01-01T00:00:00Z",
            "to=0")) {
      final Raw response = get("/api/v1/models/busy/windows?" + range);

      assertThat(response.status()).as(range).isEqualTo(200);
      assertThat(JSON.readTree(response.body())).as(range).isEmpty();
    }
  }
}
