"""deploy/ checked by what runs here (no Docker, Kubernetes, Spark, Airflow or cloud): YAML and JSON parse, the DAG
compiles, every option set written in the deploy files parses with ehrbeam's option classes and passes the runner
checks, Dockerfiles copy files that exist, and versions agree with each other, pyproject.toml and installed Beam."""

import ast
import fnmatch
import importlib.util
import itertools
import json
import py_compile
import re
import runpy
import shlex
import sys
import tomllib
from pathlib import Path

import apache_beam
import pytest
import yaml
from apache_beam.options.pipeline_options import FlinkRunnerOptions, PipelineOptions

from ehr_models.formats.detect import FORMATS
from pipelines.options import AnnotateOptions, DeidOptions, OutputOptions, ReadOptions, read_config
from pipelines.runner import RunnerUnavailable, check_runner

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PINS = dict(re.fullmatch(r"([\w.-]+)==(\S+)", dep).groups()
            for dep in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"] if "==" in dep)
ENGINES = ("docker", "flink", "spark", "dataflow", "airflow")
POOL = "localhost:50000"  # the worker pool's port: Beam's boot --worker_pool default, and what every command names
# Refusals that only mean "not on this machine": a downloaded jar's path, or Beam's GCP extras (absent here).
ONLY_HERE = re.compile(r"which is not a file|needs Beam's GCP extras")
SHELL_OPERATORS = {"|", "||", "&&", ";", "&", ">", ">>", "2>&1"}


def text(relative: str) -> str:
    return (DEPLOY / relative).read_text()


def load_yaml(relative: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(text(relative)) if doc is not None]


def files(*suffixes: str) -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.is_file() and p.name.endswith(suffixes))


def bash_lines(readme: str) -> list[str]:
    """The lines of a README's bash blocks, continuation lines joined."""
    return [line for block in re.findall(r"```bash\n(.*?)```", readme, re.S)
            for line in block.replace("\\\n", " ").splitlines()]


def readme_commands(readme: str) -> list[list[str]]:
    """The flags of every ``python -m pipelines.annotate`` (or ``docker compose run ... submit --...``) command in
    the README's bash blocks, up to the first shell operator."""
    commands = []
    for line in bash_lines(readme):
        match = re.search(r"-m pipelines\.annotate|docker compose .* submit\s+(?=--)", line)
        if match:
            tokens = shlex.split(line[match.end():], comments=True)
            commands.append(list(itertools.takewhile(lambda t: t not in SHELL_OPERATORS, tokens)))
    return commands


def option_parser():
    """Beam's parser with every registered option class (ehrbeam's included), as ``PipelineOptions`` builds it."""
    parsers = []
    PipelineOptions([]).get_all_options(add_extra_args_fn=parsers.append)
    return parsers[0]


def check_options(argv: list[str]) -> PipelineOptions:
    """Fails unless every flag is known, every value parses, and ehrbeam's own checks accept the options."""
    assert option_parser().parse_known_args(argv)[1] == [], f"unknown flags in {argv}"
    options = PipelineOptions(argv)
    read_config(options.view_as(ReadOptions))
    assert options.view_as(DeidOptions).deid_mode in ("mask", "surrogate")
    assert options.view_as(OutputOptions).num_shards >= 0
    try:
        check_runner(options)
    except RunnerUnavailable as refusal:
        assert ONLY_HERE.search(str(refusal)), f"{argv}: {refusal}"
    return options


def flag_values(argv: list[str], name: str) -> list[str]:
    return [arg.split("=", 1)[1] for arg in argv if arg.startswith(f"--{name}=")]


def dockerfile(relative: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """(ARG defaults, instructions) of a Dockerfile, continuation lines joined, ${ARG} resolved in FROM lines."""
    args, instructions = {}, []
    for line in text(relative).replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word == "ARG" and "=" in rest:
            name, _, value = rest.partition("=")
            args.setdefault(name, value.strip('"'))
        if word == "FROM":
            rest = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], rest)
        instructions.append((word, rest.strip()))
    return args, instructions


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, enough for these files: the last pattern matching the path or a parent decides."""
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    result = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if any(fnmatch.fnmatch(prefix, pattern.lstrip("!")) for prefix in prefixes):
            result = not negated
    return result


def test_yaml_and_json_files_parse():
    yamls, jsons = files(".yaml", ".yml"), files(".json")
    assert len(yamls) >= 5 and jsons
    for path in yamls:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        assert docs and all(isinstance(d, dict) for d in docs), path
    for path in jsons:
        assert isinstance(json.loads(path.read_text()), dict), path


@pytest.mark.parametrize("engine", ENGINES)
def test_readme_commands_parse_and_pass_the_runner_checks(engine):
    commands = readme_commands(text(f"{engine}/README.md"))
    assert commands, f"deploy/{engine}/README.md shows no pipelines.annotate command"
    for argv in commands:
        check_options(argv)
        assert set(flag_values(argv, "environment_config")) <= {POOL}


def test_manifest_submitted_commands_parse_and_pass_the_runner_checks():
    job = load_yaml("flink/submit-job.yaml")[0]
    container = job["spec"]["template"]["spec"]["containers"][0]
    submit = load_yaml("spark/docker-compose.yaml")[0]["services"]["submit"]
    for launcher, argv in ((container["command"], container["args"]), (submit["entrypoint"], submit["command"])):
        assert launcher == ["python", "-m", "pipelines.annotate"]
        options = check_options(argv)
        assert options.get_all_options()["runner"] == "PortableRunner"
        assert flag_values(argv, "environment_type") == ["EXTERNAL"] and flag_values(argv, "environment_config") == [POOL]


def test_flink_sidecar_serves_the_pool_and_shares_the_job_servers_staging():
    deployment = load_yaml("flink/flink-deployment.yaml")[0]
    assert deployment["kind"] == "FlinkDeployment"
    pod = deployment["spec"]["taskManager"]["podTemplate"]["spec"]
    containers = {c["name"]: c for c in pod["containers"]}
    sidecar = containers["beam-worker-pool"]
    assert sidecar["image"].endswith("/ehrbeam-worker:0.1.0") and sidecar["args"] == ["--worker_pool"]
    assert [p["containerPort"] for p in sidecar["ports"]] == [int(POOL.split(":")[1])]
    server = next(d for d in load_yaml("flink/job-server.yaml") if d["kind"] == "Deployment")
    server_spec = server["spec"]["template"]["spec"]
    staging = flag_values(server_spec["containers"][0]["args"], "artifacts-dir")
    for spec, container in ((pod, containers["flink-main-container"]), (server_spec, server_spec["containers"][0])):
        assert [m["mountPath"] for m in container["volumeMounts"]] == staging
        assert [v["persistentVolumeClaim"]["claimName"] for v in spec["volumes"]] == ["beam-artifacts"]
    # The operator names the REST service <deployment>-rest; the job server submits there.
    assert flag_values(server_spec["containers"][0]["args"], "flink-master") == [
        f"{deployment['metadata']['name']}-rest:8081"]


def test_flink_version_agrees_everywhere_and_is_published_by_beam():
    deployment = load_yaml("flink/flink-deployment.yaml")[0]["spec"]
    server_image = next(d for d in load_yaml("flink/job-server.yaml")
                        if d["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"]
    readme = text("flink/README.md")
    versions = {deployment["flinkVersion"].removeprefix("v").replace("_", "."), deployment["image"].split(":")[1],
                re.fullmatch(r"apache/beam_flink([\d.]+)_job_server:.*", server_image).group(1),
                *re.findall(r"--flink_version=([\d.]+)", readme), *re.findall(r"beam-runners-flink-([\d.]+)-job", readme)}
    assert len(versions) == 1 and versions <= set(FlinkRunnerOptions.PUBLISHED_FLINK_VERSIONS), versions


def test_spark_pool_shares_the_workers_network_and_staging():
    services = load_yaml("spark/docker-compose.yaml")[0]["services"]
    pool, server = services["beam-worker-pool"], services["beam-job-server"]
    assert pool["command"] == ["--worker_pool"] and pool["network_mode"] == "service:spark-worker"
    staging = flag_values(server["command"], "artifacts-dir")
    for service in (server, services["spark-worker"]):
        assert [v.split(":")[1] for v in service["volumes"]] == staging
    assert flag_values(server["command"], "spark-master-url") == ["spark://spark-master:7077"]
    # The submit service and the pool see one /data volume: a local --output is complete for the launcher.
    assert pool["volumes"] == services["submit"]["volumes"]


def test_beam_version_agrees_with_the_pin_and_the_installed_sdk():
    assert PINS["apache-beam"] == apache_beam.__version__
    found = []
    for path in files(".md", ".yaml", ".json", "Dockerfile"):
        body = path.read_text()
        found += re.findall(r"apache/beam_\w[\w.]*:([\w.]+)", body)
        found += re.findall(r"beam-runners-[\w.-]+?-job-server-(\d[\w.]*?)\.jar", body)
        found += re.findall(r"apache-beam\[\w+\]==([\w.]+)", body)
        found += re.findall(r"ARG BEAM_VERSION=([\w.]+)", body)
    assert len(found) >= 10 and set(found) == {apache_beam.__version__}, sorted(set(found))


def test_worker_image_installs_the_project_with_its_pins_on_beams_boot():
    args, steps = dockerfile("docker/Dockerfile")
    froms = [rest for word, rest in steps if word == "FROM"]
    python = args["PYTHON_VERSION"]
    assert python == f"{sys.version_info.major}.{sys.version_info.minor}" == "3.11"
    assert froms == [f"apache/beam_python{python}_sdk:{PINS['apache-beam']} AS beam_sdk", f"python:{python}-slim"]
    assert args["TORCH_VERSION"] == PINS["torch"]
    runs = " ".join(rest for word, rest in steps if word == "RUN")
    assert "download.pytorch.org/whl/cpu" in runs and re.search(r"pip install \. ", runs) and " -e " not in runs
    assert ("COPY", "--from=beam_sdk /opt/apache/beam /opt/apache/beam") in steps
    assert steps[-1] == ("ENTRYPOINT", '["/opt/apache/beam/boot"]')


@pytest.mark.parametrize("relative", ["docker/Dockerfile", "dataflow/Dockerfile"])
def test_dockerfiles_copy_files_that_exist_and_pass_their_dockerignore(relative):
    patterns = [line.strip() for line in text(relative + ".dockerignore").splitlines()
                if line.strip() and not line.startswith("#")]
    copies = [shlex.split(rest) for word, rest in dockerfile(relative)[1] if word == "COPY" and "--from" not in rest]
    assert copies
    for *sources, _destination in copies:
        for source in sources:
            assert (ROOT / source).exists(), source
            assert not ignored(source, patterns), f"{source} is left out of the build context"


def test_flex_template_image_matches_the_worker_and_runs_main(tmp_path):
    worker_args, _ = dockerfile("docker/Dockerfile")
    _, steps = dockerfile("dataflow/Dockerfile")
    launcher = next(rest for word, rest in steps if word == "FROM" and "template-launcher" in rest)
    assert f"python{worker_args['PYTHON_VERSION'].replace('.', '')}-template-launcher" in launcher
    main_copy = next(rest for word, rest in steps if word == "COPY" and "main.py" in rest).split()
    assert ("ENV", f"FLEX_TEMPLATE_PYTHON_PY_FILE={main_copy[-1]}") in steps
    py_compile.compile(str(ROOT / main_copy[0]), cfile=str(tmp_path / "main.pyc"), doraise=True)


@pytest.mark.parametrize("argv, expected", [
    (["--input=gs://b/notes/"], ["--runner=DataflowRunner", "--input=gs://b/notes/"]),
    (["--runner=DirectRunner", "--input=n/"], ["--runner=DirectRunner", "--input=n/"]),
])
def test_flex_template_entry_point_defaults_to_dataflow(monkeypatch, argv, expected):
    seen = []
    monkeypatch.setattr("pipelines.annotate.main", lambda: seen.append(sys.argv[1:]))
    monkeypatch.setattr(sys, "argv", ["main.py", *argv])
    runpy.run_path(str(DEPLOY / "dataflow" / "main.py"), run_name="__main__")
    assert seen == [expected]


def test_flex_template_parameters_are_pipeline_options():
    parameters = {p["name"]: p for p in json.loads(text("dataflow/metadata.json"))["parameters"]}
    known = {s.lstrip("-") for action in option_parser()._actions for s in action.option_strings}
    assert set(parameters) <= known
    assert not parameters["input"]["isOptional"] and not parameters["output"]["isOptional"]
    formats = re.compile(parameters["input_format"]["regexes"][0])
    assert all(formats.fullmatch(name) for name in FORMATS) and not formats.fullmatch("pdf")
    for parameter in parameters.values():
        for pattern in parameter.get("regexes", []):
            re.compile(pattern)
    passed = [value for line in bash_lines(text("dataflow/README.md"))
              for value in re.findall(r"--parameters=(\S+)", line)]
    assert passed and {pair.split("=", 1)[0] for value in passed for pair in value.split(",")} <= set(parameters)


def dag_tree() -> ast.Module:
    return ast.parse(text("airflow/ehrbeam_nightly_annotate.py"))


def test_nightly_dag_compiles_and_its_options_parse(tmp_path):
    py_compile.compile(str(DEPLOY / "airflow" / "ehrbeam_nightly_annotate.py"), cfile=str(tmp_path / "dag.pyc"),
                       doraise=True)
    tree = dag_tree()
    options = next(ast.literal_eval(node.value) for node in ast.walk(tree) if isinstance(node, ast.Assign)
                   and [getattr(t, "id", None) for t in node.targets] == ["PIPELINE_OPTIONS"])
    operator = next(node for node in ast.walk(tree) if isinstance(node, ast.Call)
                    and getattr(node.func, "id", None) == "BeamRunPythonPipelineOperator")
    keywords = {k.arg: k.value for k in operator.keywords}
    assert ast.literal_eval(keywords["py_file"]) == "pipelines.annotate"
    assert ast.literal_eval(keywords["py_options"]) == ["-m"]
    assert "PIPELINE_OPTIONS" in ast.unparse(keywords["pipeline_options"])
    dag = next(node for node in ast.walk(tree) if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "DAG")
    assert ast.literal_eval({k.arg: k.value for k in dag.keywords}["schedule"]) == "@daily"
    assert options["run_date"] == "{{ ds }}" and "run_date" not in options["output"]  # the job partitions itself
    # As the provider builds the command: --runner, then --key=value per option, plus the labels it adds.
    argv = [f"--runner={ast.literal_eval(keywords['runner'])}", *(f"--{k}={v}" for k, v in options.items()),
            "--labels=airflow-version=v2-10-5"]
    check_options(argv)


def test_nightly_dag_loads_in_airflow():
    if importlib.util.find_spec("airflow") is None:
        pytest.skip("Airflow is not installed here; the syntax-tree test above covers the DAG file")
    spec = importlib.util.spec_from_file_location("ehrbeam_nightly_annotate",
                                                  DEPLOY / "airflow" / "ehrbeam_nightly_annotate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.dag.dag_id == "ehrbeam_nightly_annotate"
    assert [task.task_id for task in module.dag.tasks] == ["annotate"]
    assert module.annotate.py_options == ["-m"] and module.annotate.py_file == "pipelines.annotate"
