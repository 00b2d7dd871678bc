from ehr_models.evaluation import score_entities, score_relations


def test_exact_and_overlap_entity_scores():
    gold = [(0, 5, "medication"), (6, 11, "dosage"), (12, 14, "route")]
    predicted = [(0, 5, "medication"), (6, 9, "dosage"), (20, 22, "route")]
    exact = score_entities([(predicted, gold)])
    assert (exact.micro.tp, exact.micro.fp, exact.micro.fn) == (1, 2, 2)
    overlap = score_entities([(predicted, gold)], overlap=True)
    assert (overlap.micro.tp, overlap.micro.fp, overlap.micro.fn) == (2, 1, 1)
    assert overlap.by_label["dosage"].f1 == 1.0 and overlap.by_label["route"].recall == 0.0


def test_overlap_matches_each_gold_span_once_and_needs_the_same_label():
    gold = [(0, 10, "medication")]
    predicted = [(0, 4, "medication"), (5, 10, "medication"), (0, 10, "dosage")]
    scores = score_entities([(predicted, gold)], overlap=True)
    assert scores.by_label["medication"].tp == 1 and scores.by_label["medication"].fp == 1
    assert scores.by_label["dosage"].fp == 1


def test_relations_need_both_ends_to_match():
    med, dose, other = (0, 5, "medication"), (6, 11, "dosage"), (20, 25, "medication")
    gold = [(med, dose)]
    assert score_relations([([(med, dose)], gold)]).micro.f1 == 1.0
    wrong_head = score_relations([([(other, dose)], gold)]).micro
    assert (wrong_head.tp, wrong_head.fp, wrong_head.fn) == (0, 1, 1)
    loose = score_relations([([((0, 4, "medication"), dose)], gold)], overlap=True).micro
    assert loose.tp == 1
