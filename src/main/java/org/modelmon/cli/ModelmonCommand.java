package org.modelmon.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The top-level {@code modelmon} command: only help, version and the subcommands. */
@Command(
    name = "modelmon",
    mixinStandardHelpOptions = true,
    versionProvider = ModelmonCommand.ManifestVersion.class,
    description = "Watches classification models in production: log loss, KL divergence and drift.",
    synopsisSubcommandLabel = "COMMAND")
final class ModelmonCommand implements Runnable {

  @Spec private CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing required command");
  }

  /** {@code modelmon --version}: the version in the jar's manifest. */
  static final class ManifestVersion implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"modelmon " + Main.version()};
    }
  }
}
