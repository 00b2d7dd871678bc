"""Readers and writers for annotated corpora and note archives."""
