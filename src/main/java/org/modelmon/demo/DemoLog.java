package org.modelmon.demo;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.joran.spi.JoranException;
import java.io.IOException;
import java.net.URL;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * The demo's log file: everything modelmon and Kafka log (and the embedded broker, see {@link
 * EmbeddedKafkaBroker.Builder#logFile(Path)}) goes there instead of the console, so that a
 * newcomer's terminal shows the demo's own lines only.
 *
 * <p>The file is never inside the demo's temporary data directory, which is deleted on exit: it is
 * {@code modelmon-demo-<UTC time>.log} in {@code --data-dir} when one is given, else in {@code
 * java.io.tmpdir}.
 */
public final class DemoLog {

  /** The logback configuration that replaces {@code logback.xml} for the demo. */
  static final String CONFIG = "org/modelmon/demo/demo-logback.xml";

  /** The logback property {@link #CONFIG} reads the file's path from. */
  static final String FILE_PROPERTY = "modelmon.demo.logFile";

  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final int MAX_SAME_SECOND = 100;

  private DemoLog() {}

  /**
   * Creates a fresh log file for a demo started at {@code now} and sends this process's logging
   * there, for the rest of its life.
   *
   * @param dataDir the demo's {@code --data-dir}; empty for {@code java.io.tmpdir}
   * @return the file
   * @throws IOException if the file cannot be created
   * @throws IllegalStateException if logback is not SLF4J's binding or rejects the configuration
   */
  public static Path redirect(final Optional<Path> dataDir, final Instant now) throws IOException {
    final Path dir =
        Files.createDirectories(
            dataDir.orElseGet(() -> Path.of(System.getProperty("java.io.tmpdir"))));
    final Path file = createFile(dir.toAbsolutePath(), now);
    configure(file);
    return file;
  }

  /** {@code modelmon-demo-<stamp>.log} in {@code dir}, with a suffix if that is taken. */
  static Path createFile(final Path dir, final Instant now) throws IOException {
    final String stamp = STAMP.format(now);
    for (int n = 1; ; n++) {
      final Path file = dir.resolve("modelmon-demo-" + stamp + (n == 1 ? "" : "-" + n) + ".log");
      try {
        return Files.createFile(file);
      } catch (final FileAlreadyExistsException e) {
        if (n == MAX_SAME_SECOND) {
          throw e;
        }
      }
    }
  }

  private static void configure(final Path file) {
    final ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext context)) {
      throw new IllegalStateException(
          "logging is not logback (" + factory.getClass().getName() + ")");
    }
    final URL config = DemoLog.class.getClassLoader().getResource(CONFIG);
    if (config == null) {
      throw new IllegalStateException(CONFIG + " is not on the classpath");
    }
    final JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    context.reset(); // drops the console appender of logback.xml, and the context's properties
    context.putProperty(FILE_PROPERTY, file.toString());
    try {
      configurator.doConfigure(config);
    } catch (final JoranException e) {
      // Back to logback.xml rather than no logging at all.
      context.reset();
      try {
        new ContextInitializer(context).autoConfig();
      } catch (final JoranException again) {
        e.addSuppressed(again);
      }
      throw new IllegalStateException("cannot configure logging to " + file, e);
    }
  }
}
