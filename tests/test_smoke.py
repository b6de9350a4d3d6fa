import leadscore


def test_saas_example_scores(tmp_path):
    model = leadscore.load("examples/saas.score")
    result = model.score({"id": "L1", "job_level": "C-level", "employees": 750}, now="2026-11-20T00:00:00Z")
    assert result.score >= 30
