"""Apache Beam PTransforms and DoFns that wrap ``ehr_models``: reading, annotation, sinks."""
