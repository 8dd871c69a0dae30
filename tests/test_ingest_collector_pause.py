"""The garbage collector pause around ingestion requests."""

import gc
import threading

import pytest

from lineage.api import ingest


@pytest.fixture
def collector_enabled():
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    if not was_enabled:
        gc.disable()


def test_pause_disables_then_enables_collector(collector_enabled):
    with ingest._collector_paused():
        assert gc.isenabled() is False
    assert gc.isenabled() is True


def test_overlapping_pauses_resume_after_last(collector_enabled):
    first_inside = threading.Event()
    second_left = threading.Event()
    seen = []

    def first_request():
        with ingest._collector_paused():
            first_inside.set()
            second_left.wait(timeout=5)
            seen.append(("first, after second left", gc.isenabled()))

    thread = threading.Thread(target=first_request)
    thread.start()
    first_inside.wait(timeout=5)
    with ingest._collector_paused():
        seen.append(("second", gc.isenabled()))
    second_left.set()
    thread.join(timeout=5)

    assert seen == [("second", False), ("first, after second left", False)]
    assert gc.isenabled() is True


def test_pause_keeps_disabled_collector_off(collector_enabled):
    gc.disable()
    with ingest._collector_paused():
        pass
    assert gc.isenabled() is False
    gc.enable()


def test_pause_resumes_after_error(collector_enabled):
    with pytest.raises(ValueError), ingest._collector_paused():
        raise ValueError("the body failed")
    assert gc.isenabled() is True


def test_rejected_batch_resumes_collector(collector_enabled, client, pipeline_key):
    response = client.post(
        "/api/v1/lineage/batch",
        data=b"[{",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {pipeline_key}",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"
    assert gc.isenabled() is True


def test_long_pause_resumes_on_next_exit(collector_enabled, monkeypatch):
    monkeypatch.setattr(ingest, "MAX_COLLECTOR_PAUSE_SECONDS", 0.0)

    with ingest._collector_paused():
        with ingest._collector_paused():
            assert gc.isenabled() is False
        assert gc.isenabled() is True
    assert gc.isenabled() is True
