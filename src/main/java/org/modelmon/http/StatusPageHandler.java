package org.modelmon.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the status page of {@code GET /} from the classpath: the page's own files under {@code
 * org/modelmon/http/static/} at {@code /static/}, and the uPlot charting library from its WebJar at
 * {@code /static/vendor/uplot/}, so that the browser fetches nothing from anywhere but this server.
 *
 * <p>Every request it does not serve — another method than GET or HEAD, an unknown file, a path
 * outside {@code /} and {@code /static/} — goes to the fallback, which answers as the API does (a
 * JSON 404 or 405).
 */
final class StatusPageHandler implements HttpHandler {

  /** Where the page's own files are served. */
  static final String STATIC_PREFIX = "/static/";

  /** Where the uPlot WebJar's files are served: {@code dist/uPlot.iife.min.js} and so on. */
  static final String UPLOT_PREFIX = STATIC_PREFIX + "vendor/uplot/";

  private static final Logger LOG = LoggerFactory.getLogger(StatusPageHandler.class);
  private static final String OWN_ROOT = "org/modelmon/http/static/";
  private static final String INDEX = OWN_ROOT + "index.html";
  private static final String UPLOT_POM_PROPERTIES =
      "META-INF/maven/org.webjars.npm/uplot/pom.properties";

  /**
   * Path segments below {@code /static/}: no empty segment, none starting with a dot (so no {@code
   * .} or {@code ..}), no percent escapes or backslashes.
   */
  private static final Pattern SAFE_PATH =
      Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*");

  /** Only files of these types are served; a directory never has one of them. */
  private static final Map<String, String> CONTENT_TYPES =
      Map.of(
          "html", "text/html; charset=utf-8",
          "js", "text/javascript; charset=utf-8",
          "css", "text/css; charset=utf-8",
          "svg", "image/svg+xml",
          "png", "image/png",
          "ico", "image/x-icon");

  /**
   * Scripts and styles from this server only, so that even a model name that slipped into markup
   * could not run code; uPlot styles its elements through the DOM, which this allows.
   */
  private static final String CONTENT_SECURITY_POLICY =
      "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
          + "frame-ancestors 'none'";

  private final HttpHandler fallback;
  private final Optional<String> uplotRoot;
  private final ClassLoader classLoader;
  private final Map<String, StaticFile> cache = new ConcurrentHashMap<>();

  private StatusPageHandler(final HttpHandler fallback, final ClassLoader classLoader) {
    this.fallback = fallback;
    this.classLoader = classLoader;
    this.uplotRoot = uplotRoot(classLoader);
    if (uplotRoot.isEmpty()) {
      LOG.atWarn()
          .addKeyValue("resource", UPLOT_POM_PROPERTIES)
          .log("uPlot WebJar not on the classpath: the status page will show no charts");
    }
  }

  /**
   * A handler for the context {@code /}.
   *
   * @param fallback answers every request this handler does not serve
   */
  static StatusPageHandler create(final HttpHandler fallback) {
    return new StatusPageHandler(fallback, StatusPageHandler.class.getClassLoader());
  }

  /** A file as served: body, type and entity tag. */
  private record StaticFile(byte[] body, String contentType, String etag) {}

  @Override
  public void handle(final HttpExchange exchange) throws IOException {
    final String method = exchange.getRequestMethod();
    final Optional<StaticFile> file =
        "GET".equals(method) || "HEAD".equals(method)
            ? resourceName(exchange.getRequestURI().getRawPath()).flatMap(this::load)
            : Optional.empty();
    if (file.isEmpty()) {
      fallback.handle(exchange);
      return;
    }
    send(exchange, file.get(), "HEAD".equals(method));
  }

  /** The classpath resource a request path names, if it names one this handler may serve. */
  Optional<String> resourceName(final String rawPath) {
    if ("/".equals(rawPath)) {
      return Optional.of(INDEX);
    }
    if (!rawPath.startsWith(STATIC_PREFIX)) {
      return Optional.empty();
    }
    final String relative = rawPath.substring(STATIC_PREFIX.length());
    if (!SAFE_PATH.matcher(relative).matches() || contentType(relative) == null) {
      return Optional.empty();
    }
    final String vendor = UPLOT_PREFIX.substring(STATIC_PREFIX.length());
    if (relative.startsWith(vendor)) {
      return uplotRoot.map(root -> root + relative.substring(vendor.length()));
    }
    if (relative.startsWith("vendor/")) {
      return Optional.empty();
    }
    return Optional.of(OWN_ROOT + relative);
  }

  private Optional<StaticFile> load(final String resource) {
    // Only files that exist are cached, so the cache is bounded by the files on the classpath.
    final StaticFile cached = cache.get(resource);
    if (cached != null) {
      return Optional.of(cached);
    }
    try (InputStream in = classLoader.getResourceAsStream(resource)) {
      if (in == null) {
        return Optional.empty();
      }
      final byte[] body = in.readAllBytes();
      final StaticFile file = new StaticFile(body, contentType(resource), etag(body));
      cache.putIfAbsent(resource, file);
      return Optional.of(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }

  private static void send(final HttpExchange exchange, final StaticFile file, final boolean head)
      throws IOException {
    final var headers = exchange.getResponseHeaders();
    headers.set("Content-Type", file.contentType());
    // The URLs carry no version, so the browser revalidates every time; the ETag keeps that cheap.
    headers.set("Cache-Control", "no-cache");
    headers.set("ETag", file.etag());
    headers.set("X-Content-Type-Options", "nosniff");
    if (file.contentType().startsWith("text/html")) {
      headers.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
      headers.set("Referrer-Policy", "no-referrer");
    }
    final String ifNoneMatch = exchange.getRequestHeaders().getFirst("If-None-Match");
    if (ifNoneMatch != null && matches(ifNoneMatch, file.etag())) {
      exchange.sendResponseHeaders(304, -1);
      exchange.close();
      return;
    }
    exchange.sendResponseHeaders(200, head ? -1 : file.body().length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(file.body());
      }
    }
    exchange.close();
  }

  private static boolean matches(final String ifNoneMatch, final String etag) {
    for (final String tag : ifNoneMatch.split(",")) {
      final String trimmed = tag.trim();
      if (trimmed.equals("*") || trimmed.equals(etag) || trimmed.equals("W/" + etag)) {
        return true;
      }
    }
    return false;
  }

  private static String contentType(final String name) {
    final int slash = name.lastIndexOf('/');
    final int dot = name.lastIndexOf('.');
    if (dot <= slash + 1) {
      return null;
    }
    return CONTENT_TYPES.get(name.substring(dot + 1).toLowerCase(Locale.ROOT));
  }

  private static String etag(final byte[] body) {
    try {
      final byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
      return "\"" + HexFormat.of().formatHex(digest, 0, 16) + "\"";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** The WebJar's root folder, found from its Maven metadata so a version bump needs no edit. */
  private static Optional<String> uplotRoot(final ClassLoader classLoader) {
    try (InputStream in = classLoader.getResourceAsStream(UPLOT_POM_PROPERTIES)) {
      if (in == null) {
        return Optional.empty();
      }
      final Properties properties = new Properties();
      properties.load(in);
      return Optional.ofNullable(properties.getProperty("version"))
          .map(version -> "META-INF/resources/webjars/uplot/" + version + "/");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + UPLOT_POM_PROPERTIES, e);
    }
  }
}
