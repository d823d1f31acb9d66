package org.modelmon.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.modelmon.demo.EmbeddedKafkaBroker;

/**
 * JUnit 5 extension that shares one real {@link EmbeddedKafkaBroker} across the whole test run and
 * injects it into test constructors, test methods and lifecycle methods such as {@code @BeforeAll}.
 *
 * <pre>{@code
 * @ExtendWith(KafkaBrokerExtension.class)
 * class SomethingIT {
 *   @Test
 *   void shouldDoSomething(EmbeddedKafkaBroker broker) { ... broker.bootstrapServers() ... }
 * }
 * }</pre>
 *
 * <p>The broker starts the first time a test asks for it, so a run without integration tests starts
 * none. It lives in the root context's store; JUnit closes {@link AutoCloseable} values of that
 * store when the run ends (since 5.13, which deprecated {@code Store.CloseableResource} for this),
 * and closing stops the broker and deletes its temporary data directory. Tests share the broker, so
 * each should use topic, group and transactional ids of its own ({@link
 * KafkaTestUtils#uniqueName(String)}).
 */
public final class KafkaBrokerExtension implements ParameterResolver {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(KafkaBrokerExtension.class);

  @Override
  public boolean supportsParameter(
      final ParameterContext parameterContext, final ExtensionContext extensionContext) {
    return parameterContext.getParameter().getType() == EmbeddedKafkaBroker.class;
  }

  @Override
  public Object resolveParameter(
      final ParameterContext parameterContext, final ExtensionContext extensionContext) {
    return broker(extensionContext);
  }

  /**
   * The run's shared broker, started on first use. A broker left stopped by an earlier test (one
   * that failed between {@code stop()} and {@code restart()}, say) is started again, so that one
   * failure does not cascade into every later test.
   */
  public static EmbeddedKafkaBroker broker(final ExtensionContext context) {
    final EmbeddedKafkaBroker broker =
        context
            .getRoot()
            .getStore(NAMESPACE)
            .getOrComputeIfAbsent(
                EmbeddedKafkaBroker.class,
                key -> EmbeddedKafkaBroker.start(),
                EmbeddedKafkaBroker.class);
    if (!broker.isRunning()) {
      broker.restart();
    }
    return broker;
  }
}
