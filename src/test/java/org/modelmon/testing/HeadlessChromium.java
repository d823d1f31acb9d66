package org.modelmon.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian's headless Chromium, started once per call with a fresh profile, for tests that look at a
 * page as a person would: a screenshot, or the DOM once the page's scripts have run.
 *
 * <p>Each run gets a virtual-time budget, so timers and animation frames run as fast as the page
 * allows and the result does not depend on the machine's speed; the run is killed, with every
 * process it started, and its profile deleted, whatever happens. The executable is {@code
 * $CHROMIUM} when set, else {@code chromium} found on the {@code PATH} (bin/test installs it).
 */
public final class HeadlessChromium {

  /** How long one run may take in real time before the test fails. */
  public static final Duration TIMEOUT = Duration.ofSeconds(90);

  private static final List<String> FLAGS =
      List.of(
          "--headless",
          "--no-sandbox", // tests run as root in CI, where the sandbox cannot start
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          "--no-first-run",
          "--disable-quic",
          "--hide-scrollbars");

  private final Path executable;
  private final int width;
  private final int height;
  private final Duration virtualTime;

  private HeadlessChromium(
      final Path executable, final int width, final int height, final Duration virtualTime) {
    this.executable = executable;
    this.width = width;
    this.height = height;
    this.virtualTime = virtualTime;
  }

  /**
   * A browser with a window of {@code width} × {@code height} CSS pixels that lets a page run for
   * {@code virtualTime} of virtual time before it is captured.
   *
   * @throws IllegalStateException if no Chromium is installed
   */
  public static HeadlessChromium of(final int width, final int height, final Duration virtualTime) {
    return new HeadlessChromium(executable(), width, height, virtualTime);
  }

  /** Loads {@code page} and writes a PNG of the window to {@code png}. */
  public void screenshot(final URI page, final Path png) {
    final Path target = png.toAbsolutePath();
    run(page, "--screenshot=" + target);
    if (!Files.isRegularFile(target)) {
      throw new IllegalStateException("Chromium wrote no screenshot to " + target);
    }
  }

  /** Loads {@code page} and returns its DOM, serialised as HTML, once the budget has run out. */
  public String dumpDom(final URI page) {
    return run(page, "--dump-dom");
  }

  private String run(final URI page, final String capture) {
    final Path work;
    try {
      work = Files.createTempDirectory("modelmon-chromium");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Process process = null;
    try {
      final List<String> command = new ArrayList<>();
      command.add(executable.toString());
      command.addAll(FLAGS);
      command.add("--user-data-dir=" + work.resolve("profile"));
      command.add("--window-size=" + width + "," + height);
      command.add("--virtual-time-budget=" + virtualTime.toMillis());
      command.add(capture);
      command.add(page.toString());
      final Path stdout = work.resolve("stdout");
      final Path stderr = work.resolve("stderr");
      process =
          new ProcessBuilder(command)
              .directory(work.toFile())
              .redirectOutput(stdout.toFile())
              .redirectError(stderr.toFile())
              .start();
      if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException(
            "Chromium did not finish within " + TIMEOUT + "; its log ends:\n" + tail(stderr));
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            "Chromium exited with " + process.exitValue() + "; its log ends:\n" + tail(stderr));
      }
      return Files.readString(stdout, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while Chromium ran", e);
    } finally {
      if (process != null) {
        stop(process);
      }
      deleteRecursively(work);
    }
  }

  /** Kills the browser and the processes it started (renderer, GPU, zygote), children first. */
  private static void stop(final Process process) {
    // Collected before the parent dies: orphans are no longer its descendants.
    final List<ProcessHandle> children = process.descendants().toList();
    children.forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
      for (final ProcessHandle child : children) {
        child.onExit().get(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      // A child that will not die is left to the OS; the test's result stands.
    }
  }

  private static void deleteRecursively(final Path root) {
    // A dying browser process may still be removing or writing files: try again a few times.
    for (int attempt = 1; ; attempt++) {
      try (Stream<Path> paths = Files.walk(root)) {
        for (final Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(path);
        }
        return;
      } catch (IOException | UncheckedIOException e) {
        if (!Files.exists(root)) {
          return;
        }
        if (attempt == 5) {
          throw new IllegalStateException("cannot delete Chromium's profile " + root, e);
        }
        try {
          Thread.sleep(200L * attempt);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted deleting " + root, interrupted);
        }
      }
    }
  }

  private static String tail(final Path log) {
    try {
      final List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static Path executable() {
    final String configured = System.getenv("CHROMIUM");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    final String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (final String dir : path.split(java.io.File.pathSeparator)) {
      final Path candidate = Path.of(dir, "chromium");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException(
        "no chromium on the PATH: install Debian's chromium package (bin/test does) or set"
            + " CHROMIUM to the browser's executable");
  }
}
