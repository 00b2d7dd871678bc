"""Nightly ehrbeam annotation: ``python -m pipelines.annotate`` submitted to a Beam portable job server (the Flink
or Spark job server of ``deploy/``), incremental: each night annotates only the notes the model version has not
annotated yet and writes them into Hive-style ``run_date=YYYY-MM-DD`` partitions of one output.

Copy this file into the DAGs folder. The Airflow workers need ``apache-airflow-providers-apache-beam`` and a
Python 3.11 interpreter with ehrbeam installed (``EHRBEAM_PYTHON``), the same Python and Beam as the worker image:
pickled functions cross from the launcher to the workers. Settings are Airflow Variables read when the task runs
(Jinja templates below), so parsing this file makes no database calls:

- ``ehrbeam_input`` (required): the notes to read, e.g. ``s3://ehr-notes/incoming/``;
- ``ehrbeam_output_root`` (required): the output every night adds to, e.g. ``s3://ehr-annotations/annotate``
  (``entities/run_date=.../`` and so on; its ``state/`` records what each model version annotated);
- ``ehrbeam_job_endpoint``, ``ehrbeam_artifact_endpoint``: the job server (default: deploy/flink/job-server.yaml's
  Service).

Every night reads all of ``ehrbeam_input`` and skips the notes already annotated by this model version (same id,
same text); a changed note is annotated again, and a new model version annotates everything once. A retry of the
same night replaces that night's partition, so retries never duplicate rows. ``runs/RUN_ID.json`` and
``runs/RUN_ID.html`` under the output report each night (counts in, out, skipped, errors; timings).
"""

from __future__ import annotations

import datetime
import os

from airflow.providers.apache.beam.operators.beam import BeamRunPythonPipelineOperator

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG

# The interpreter that launches the pipeline (it needs ehrbeam; Airflow's own environment need not have it).
EHRBEAM_PYTHON = os.environ.get("EHRBEAM_PYTHON", "/opt/ehrbeam/.venv/bin/python")

# ehrbeam and Beam options, passed as --name=value (templated: rendered when the task runs).
PIPELINE_OPTIONS = {
    "job_endpoint": "{{ var.value.get('ehrbeam_job_endpoint', 'beam-flink-job-server.ehrbeam.svc:8099') }}",
    "artifact_endpoint": "{{ var.value.get('ehrbeam_artifact_endpoint', 'beam-flink-job-server.ehrbeam.svc:8098') }}",
    "environment_type": "EXTERNAL",
    "environment_config": "localhost:50000",
    "input": "{{ var.value.ehrbeam_input }}",
    "output": "{{ var.value.ehrbeam_output_root }}",
    # The night's partition: a retry of the same night replaces it.
    "run_date": "{{ ds }}",
    "run_id": "nightly-{{ ds_nodash }}-{{ ti.try_number }}",
    "model": "rules",
    "deid_mode": "mask",
}

with DAG(
    dag_id="ehrbeam_nightly_annotate",
    description="De-identify and annotate the night's clinical notes with ehrbeam",
    schedule="@daily",
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": datetime.timedelta(minutes=15)},
    dagrun_timeout=datetime.timedelta(hours=12),
    tags=["ehrbeam", "beam"],
    doc_md=__doc__,
) as dag:
    annotate = BeamRunPythonPipelineOperator(
        task_id="annotate",
        runner="PortableRunner",
        py_file="pipelines.annotate",
        py_options=["-m"],
        py_interpreter=EHRBEAM_PYTHON,
        pipeline_options=dict(PIPELINE_OPTIONS),  # the operator adds labels to the dict it is given
        execution_timeout=datetime.timedelta(hours=10),
    )
