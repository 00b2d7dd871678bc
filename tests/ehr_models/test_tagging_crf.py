"""The CRF against brute force: every tag sequence of a tiny case enumerated."""

import itertools

import pytest

torch = pytest.importorskip("torch")

from ehr_models.tagging.crf import CRF  # noqa: E402
from ehr_models.tagging.scheme import allowed_transitions, decode, tag_set  # noqa: E402


def _sequence_score(crf: CRF, emissions, path) -> float:
    transitions, start, end = (x.tolist() for x in crf._scores())
    emissions = emissions.tolist()
    score = start[path[0]] + emissions[0][path[0]]
    for t in range(1, len(path)):
        score += transitions[path[t - 1]][path[t]] + emissions[t][path[t]]
    return score + end[path[-1]]


def _crf(tags: list[str], seed: int) -> CRF:
    torch.manual_seed(seed)
    crf = CRF(len(tags), *allowed_transitions(tags))
    with torch.no_grad():
        for parameter in crf.parameters():
            parameter.normal_()
    return crf


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_viterbi_nll_and_marginals_match_enumeration(seed):
    tags = tag_set(["drug"], "BIOES")  # O B I E S: 5 tags, 5^4 paths at length 4
    crf = _crf(tags, seed)
    lengths = [4, 2]
    emissions = torch.randn(2, 4, len(tags))
    mask = torch.arange(4).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
    best = crf.viterbi(emissions, mask)
    marginals = crf.marginals(emissions, mask)
    gold = torch.zeros(2, 4, dtype=torch.long)
    gold[0] = torch.tensor([tags.index("B-drug"), tags.index("E-drug"), 0, tags.index("S-drug")])
    gold[1, :2] = torch.tensor([0, tags.index("S-drug")])
    nll = crf.nll(emissions, gold, mask)
    for row, length in enumerate(lengths):
        paths = list(itertools.product(range(len(tags)), repeat=length))
        scores = torch.tensor([_sequence_score(crf, emissions[row], p) for p in paths])
        assert best[row] == list(paths[int(scores.argmax())])
        log_z = torch.logsumexp(scores, 0)
        gold_path = tuple(gold[row, :length].tolist())
        assert nll[row].item() == pytest.approx(float(log_z) - _sequence_score(crf, emissions[row], gold_path),
                                                abs=1e-4)
        probabilities = torch.softmax(scores, 0).tolist()
        for t in range(length):
            expected = [sum(p for p, path in zip(probabilities, paths) if path[t] == k) for k in range(len(tags))]
            assert marginals[row, t].tolist() == pytest.approx(expected, abs=1e-4)


def test_decoded_paths_are_always_well_formed_spans():
    tags = tag_set(["drug", "dose"], "BIOES")
    crf = _crf(tags, 3)
    emissions = torch.randn(8, 7, len(tags)) * 3
    mask = torch.ones(8, 7, dtype=torch.bool)
    allowed, start, end = allowed_transitions(tags)
    for path in crf.viterbi(emissions, mask):
        assert start[path[0]] and end[path[-1]]
        assert all(allowed[a][b] for a, b in zip(path, path[1:]))
        named = [tags[t] for t in path]
        # Well-formed: every span decodes to B..E or S, so re-encoding gives the same tags back.
        from ehr_models.tagging.scheme import encode

        assert encode(len(named), decode(named), "BIOES") == named
