"""The default medication model: the packaged NER tagger (hybrid with the rules per label where measured better)
and a relation linker. ``annotator`` (``MedicationAnnotator``), ``phi`` (gold PHI masked in training text),
``splits`` (the internal dev split of the gold train notes), ``release`` (packaging a trained tagger).

Importing this package is cheap; ``MedicationAnnotator`` is imported from ``ehr_models.medication.annotator``.
"""
