package org.modelmon.cli;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Turns the first SIGTERM or SIGINT into an orderly stop, and a second one into an immediate exit.
 *
 * <p>Why not just a shutdown hook: the JVM runs shutdown hooks only on its way out, and a JVM
 * terminated by SIGTERM exits with status 143 (128 + 15) whatever the hooks do; calling {@link
 * System#exit} from a hook to change that blocks forever. A supervisor (systemd, a CI script, a
 * container runtime) reads 143 as a failure, but a stop that was asked for is a success. So we take
 * the signals over: the JVM no longer begins to shut down by itself, the handler closes the
 * application, {@code run} returns 0 and {@code main} exits with it.
 */
final class ShutdownSignals {

  private static final Logger LOG = LoggerFactory.getLogger(ShutdownSignals.class);

  private static final List<String> SIGNALS = List.of("TERM", "INT");

  private ShutdownSignals() {}

  /**
   * Runs {@code stop} on the first SIGTERM or SIGINT, in the signal's own thread. A second signal
   * while {@code stop} has not returned halts the JVM at once with 128 + the signal's number, so
   * that a stuck shutdown can still be cut short with a second Ctrl-C.
   */
  static void install(final Runnable stop) {
    final AtomicBoolean received = new AtomicBoolean();
    for (final String name : SIGNALS) {
      try {
        Signal.handle(
            new Signal(name),
            signal -> {
              if (received.compareAndSet(false, true)) {
                LOG.info("SIG{} received; stopping", signal.getName());
                stop.run();
              } else {
                // halt, not exit: exit would wait for shutdown hooks that may be what is stuck.
                Runtime.getRuntime().halt(128 + signal.getNumber());
              }
            });
      } catch (final IllegalArgumentException e) {
        // e.g. the JVM runs with -Xrs, or SIGINT is ignored because we run in the background.
        LOG.warn(
            "Cannot handle SIG{}: {}; it will stop the JVM without a clean close",
            name,
            e.getMessage());
      }
    }
  }
}
