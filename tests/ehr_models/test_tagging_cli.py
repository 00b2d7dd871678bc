"""``python -m ehr_models.train`` and ``python -m ehr_models.evaluate`` on files the tests write."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")

from ehr_models import evaluate, train  # noqa: E402
from ehr_models.formats import conll, i2b2  # noqa: E402
from ehr_models.formats.examples import Example, fingerprint  # noqa: E402
from ehr_models.package import load_package  # noqa: E402
from tests.ehr_models.test_tagging_training import NEW_DRUGS, TRAIN_DRUGS, make_examples  # noqa: E402

SMALL = ["--word-dim", "16", "--char-filters", "16", "--hidden", "32", "--lr", "0.01", "--batch-size", "8",
         "--word-dropout", "0.2", "--threads", "1", "--quiet", "--seed", "1"]


def _write(path, examples, rename=None):
    if rename:
        examples = [Example(e.id, e.tokens, tuple((s, t, rename.get(label, label)) for s, t, label in e.spans))
                    for e in examples]
    with open(path, "w", encoding="utf-8") as handle:
        conll.write(examples, handle)
    return path


def test_train_then_evaluate_then_transfer(tmp_path, capsys):
    train_tsv = _write(tmp_path / "train.tsv", make_examples(80, TRAIN_DRUGS, 1))
    dev_tsv = _write(tmp_path / "dev.tsv", make_examples(30, TRAIN_DRUGS, 2))
    test_tsv = _write(tmp_path / "test.tsv", make_examples(40, NEW_DRUGS, 3))
    model = tmp_path / "model"
    assert train.main(["--train", str(train_tsv), "--dev", str(dev_tsv), "--test", str(test_tsv), "--output",
                       str(model), "--epochs", "10", *SMALL]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["best_dev_f1"] >= 0.9 and summary["output"] == str(model)
    package = load_package(model)
    assert package.training["fingerprint"] == fingerprint(conll.read(train_tsv))
    assert package.metrics["test"]["micro"]["f1"] >= 0.85
    assert (tmp_path / "model.checkpoints" / "best" / "weights.safetensors").exists()

    assert evaluate.main(["--model", str(model), "--data", str(test_tsv), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["exact"]["entities"]["micro"] == package.metrics["test"]["micro"]
    assert result["overlap"]["entities"]["micro"]["f1"] >= result["exact"]["entities"]["micro"]["f1"]
    evaluate.main(["--model", str(model), "--data", str(test_tsv)])
    assert "medication" in capsys.readouterr().out

    # Transfer: a corpus calling drugs "drug", started from the model above with its label layer remapped.
    renamed = _write(tmp_path / "renamed.tsv", make_examples(20, TRAIN_DRUGS, 7), {"medication": "drug"})
    moved = tmp_path / "moved"
    train.main(["--train", str(renamed), "--output", str(moved), "--epochs", "1", "--init-from", str(model),
                "--init-label-map", "medication=drug", "--dev-fraction", "0", *SMALL])
    capsys.readouterr()
    moved_package = load_package(moved)
    assert moved_package.training["copied"]["tags"] == 9  # O + BIES for drug and dosage
    assert moved_package.labels["labels"] == ["dosage", "drug"]


def test_i2b2_entry_metrics_by_hand():
    # Gold: two entries. Prediction: the first medication with a right dose and a wrong route, a spurious entry.
    gold = [{"m": [(0, 5)], "do": [(6, 11)], "mo": [(12, 14)]}, {"m": [(20, 27)], "f": [(28, 33)]}]
    predicted = [{"m": [(0, 5)], "do": [(6, 11)], "mo": [(15, 17)]}, {"m": [(40, 45)]}]
    exact = evaluate.score_entries([(predicted, gold)])
    assert (exact.by_label["m"].tp, exact.by_label["m"].fp, exact.by_label["m"].fn) == (1, 1, 1)
    assert (exact.by_label["do"].tp, exact.by_label["mo"].fp, exact.by_label["mo"].fn) == (1, 1, 1)
    assert exact.by_label["f"].fn == 1
    micro = exact.micro  # horizontal: tp m+do = 2; fp mo + spurious m = 2; fn mo + m + f = 3
    assert (micro.tp, micro.fp, micro.fn) == (2, 2, 3)
    # Inexact: an overlapping medication pairs the entries too.
    shifted = [{"m": [(1, 4)], "do": [(6, 9)]}]
    assert evaluate.score_entries([(shifted, gold)], overlap=True).by_label["do"].tp == 1
    assert evaluate.score_entries([(shifted, gold)], overlap=False).by_label["m"].tp == 0


def test_evaluate_i2b2_prediction_files(tmp_path, capsys):
    text = "Pt given Lasix 40 mg po daily\nand aspirin 81 mg\n"
    for name, entries in (("gold", ['m="lasix" 1:2 1:2||do="40 mg" 1:3 1:4||mo="po" 1:5 1:5||f="daily" 1:6 1:6',
                                    'm="aspirin" 2:1 2:1||do="81 mg" 2:2 2:3']),
                          ("system", ['m="lasix" 1:2 1:2||do="40 mg" 1:3 1:4||mo="po" 1:5 1:5',
                                      'm="mg" 2:3 2:3'])):
        (tmp_path / name).mkdir()
        (tmp_path / name / "note1.txt").write_text(text, encoding="utf-8")
        (tmp_path / name / "note1.entries").write_text("\n".join(entries) + "\n", encoding="utf-8")
    assert i2b2.read_entries(tmp_path / "gold" / "note1.entries")[1].fields["do"][0].text == "81 mg"
    evaluate.main(["--predictions", str(tmp_path / "system"), "--data", str(tmp_path / "gold"), "--json"])
    result = json.loads(capsys.readouterr().out)
    assert result["format"] == "i2b2"
    horizontal = result["i2b2"]["exact"]["horizontal"]
    assert (horizontal["tp"], horizontal["fp"], horizontal["fn"]) == (3, 1, 3)
    assert result["i2b2"]["exact"]["vertical"]["f"]["fn"] == 1
    assert result["exact"]["relations"]["micro"]["tp"] == 2
