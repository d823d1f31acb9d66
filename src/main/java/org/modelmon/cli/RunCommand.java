package org.modelmon.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.modelmon.ModelmonApplication;
import org.modelmon.config.ModelmonConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code modelmon run}: runs the processor until SIGTERM or SIGINT. */
@Command(
    name = "run",
    description = {
      "Runs the processor until SIGTERM or SIGINT (Ctrl-C), then stops it cleanly and exits 0.",
      "Configuration: defaults < --config FILE < MODELMON_* environment variables < -D flags."
    })
final class RunCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);

  @Spec private CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  private boolean help;

  @Mixin private ConfigOptions configOptions;

  private final Map<String, String> environment;

  RunCommand(final Map<String, String> environment) {
    this.environment = Map.copyOf(environment);
  }

  @Override
  public Integer call() throws InterruptedException {
    final ModelmonConfig config = configOptions.load(environment);
    LOG.info("Starting modelmon {} with {}", Main.version(), config.describe());

    // The handlers go in before start(), which takes a while: a signal during start-up still
    // closes the application as soon as it exists, instead of killing the JVM half-way.
    final AtomicBoolean stopRequested = new AtomicBoolean();
    final AtomicReference<ModelmonApplication> running = new AtomicReference<>();
    final CountDownLatch stopped = new CountDownLatch(1);
    ShutdownSignals.install(
        () -> {
          stopRequested.set(true);
          try {
            final ModelmonApplication app = running.get();
            if (app != null) {
              app.close();
            }
          } finally {
            stopped.countDown();
          }
        });
    // Created before it starts, so that a signal while start() waits for an unreachable broker
    // closes it, and start() returns, instead of going unheard.
    try (ModelmonApplication app = ModelmonApplication.create(config)) {
      running.set(app);
      // Either the handler sees the application and closes it, or we see its request here.
      if (!stopRequested.get()) {
        app.start();
      }
      if (!stopRequested.get()) {
        LOG.info("modelmon is running; HTTP on port {}", app.httpPort());
        app.awaitTermination();
      }
    }
    if (stopRequested.get()) {
      // main exits the JVM when we return: first let the handler's close() finish.
      stopped.await();
      LOG.info("modelmon stopped");
      return 0;
    }
    // Nobody asked it to stop, so the stream died: exit non-zero so that a supervisor restarts us.
    spec.commandLine().getErr().println("modelmon: the stream stopped unexpectedly; see the log");
    return 1;
  }
}
