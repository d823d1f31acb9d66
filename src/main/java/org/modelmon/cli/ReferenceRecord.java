package org.modelmon.cli;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.modelmon.reference.Reference;
import org.modelmon.reference.ReferenceParser;

/**
 * A reference as the record {@code reference publish} writes to the references topic
 * (docs/reference.md#references): key {@code model} or {@code model@version}, value {@code
 * {"model": m, "version": v, "distribution": {class: p}}} with {@code version} left out when there
 * is none.
 *
 * @param model the model name
 * @param version the version, {@code ""} for a model-wide reference
 * @param distribution p by class name, in the order to write them; numbers as written, not yet
 *     validated or renormalised
 */
record ReferenceRecord(String model, String version, Map<String, BigDecimal> distribution) {

  private static final JsonFactory JSON = new JsonFactory();

  ReferenceRecord {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(version, "version");
    distribution = Collections.unmodifiableMap(new LinkedHashMap<>(distribution));
  }

  /** The record key, {@link ReferenceParser#key}. */
  String key() {
    return ReferenceParser.key(model, version);
  }

  /** The record value: compact UTF-8 JSON. */
  byte[] value() {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      json.writeStartObject();
      json.writeStringField("model", model);
      if (!version.isEmpty()) {
        json.writeStringField("version", version);
      }
      json.writeObjectFieldStart("distribution");
      for (final Map.Entry<String, BigDecimal> entry : distribution.entrySet()) {
        json.writeFieldName(entry.getKey());
        json.writeNumber(entry.getValue());
      }
      json.writeEndObject();
      json.writeEndObject();
    } catch (final IOException e) {
      throw new UncheckedIOException("cannot write a reference to memory", e);
    }
    return out.toByteArray();
  }

  /**
   * Reads this record back exactly as the processor will, so that whatever it would refuse is never
   * published.
   *
   * @throws org.modelmon.reference.InvalidReferenceException with the processor's reason
   */
  Reference validate(final ReferenceParser parser) {
    return parser.parse(key(), value());
  }
}
