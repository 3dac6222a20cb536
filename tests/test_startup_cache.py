"""The checked rubric cache (`assess.rubric.cache`): a hit gives the very rubrics the files
give, and a cache anyone else could have written, or that does not match these files and
this code, is never read."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest

from assess.rubric import cache, loader


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache place, and the loader's in-process memories cleared around the test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    for fn in (loader._from_cache, loader._builtin):
        fn.cache_clear()
    monkeypatch.setattr(loader, "_stored", [])
    yield tmp_path / "assess"
    for fn in (loader._from_cache, loader._builtin):
        fn.cache_clear()


def _fresh() -> dict[str, object]:
    loader._from_cache.cache_clear()
    loader._builtin.cache_clear()
    return dict(loader.builtin_rubrics())


def test_a_hit_gives_the_rubrics_the_files_give(home: Path) -> None:
    from_files = _fresh()  # a miss: loaded from the files, then stored
    stored = _file(home)
    assert stored.is_file()
    assert stored.stat().st_mode & 0o777 == 0o600
    assert home.stat().st_mode & 0o777 == 0o700
    assert loader._from_cache() is None  # this process keeps to what it found first
    from_cache = _fresh()
    assert loader._from_cache() is not None
    assert list(from_cache) == list(from_files)
    for ident, rubric in from_files.items():
        assert from_cache[ident] == rubric
        assert from_cache[ident] is not rubric
    # get_rubric and builtin_rubrics hand out the same objects, as without a cache.
    assert loader.get_rubric("miit-2026-srdi") is loader.builtin_rubrics()["miit-2026-srdi"]


def _file(home: Path) -> Path:
    [path] = home.glob("rubrics-*.pickle")
    return path


def _stored(home: Path) -> None:
    _fresh()
    assert _file(home).is_file()


def _refused(home: Path) -> None:
    loader._from_cache.cache_clear()
    assert loader._from_cache() is None


def test_an_edited_cache_is_not_trusted(home: Path) -> None:
    _stored(home)
    path = _file(home)
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    _refused(home)


def test_a_cache_sealed_with_another_secret_is_not_trusted(home: Path) -> None:
    _stored(home)
    (home / "secret").write_bytes(os.urandom(32))
    _refused(home)


def test_a_cache_for_other_rubric_files_is_a_miss(home: Path) -> None:
    _stored(home)
    path = _file(home)
    payload = pickle.dumps({"x": 1})
    other = cache.code_and_data_key([*loader._bundled_files()[1:]])
    cache.write(path.name, other, payload)  # under this key's name, for another key
    assert cache.read(path.name, other) == payload
    _refused(home)


def test_only_the_most_recent_caches_are_kept(home: Path) -> None:
    _stored(home)
    for i in range(6):
        cache.write(f"rubrics-old{i}.pickle", b"k" * 32, b"payload")
    cache.prune("rubrics-", 4)
    assert len(list(home.glob("rubrics-*.pickle"))) == 4
    assert (home / "rubrics-old5.pickle").is_file()
    assert (home / "secret").is_file()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_place_is_silently_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o555)
    monkeypatch.setenv("XDG_CACHE_HOME", str(closed))
    cache.write("rubrics.pickle", b"k" * 32, b"payload")
    assert cache.read("rubrics.pickle", b"k" * 32) is None
    assert not (closed / "assess").exists()


def test_a_folder_others_may_write_is_not_used(home: Path) -> None:
    _stored(home)
    home.chmod(0o777)
    _refused(home)
    cache.write("other", b"k" * 32, b"payload")
    assert not (home / "other").exists()
    home.chmod(0o700)
    assert cache.read("other", b"k" * 32) is None


def test_a_file_others_may_write_is_not_read(home: Path) -> None:
    _stored(home)
    _file(home).chmod(0o666)
    _refused(home)


def test_a_symlinked_cache_file_is_not_followed(home: Path, tmp_path: Path) -> None:
    _stored(home)
    path = _file(home)
    target = tmp_path / "elsewhere.pickle"
    target.write_bytes(path.read_bytes())
    target.chmod(0o600)
    path.unlink()
    path.symlink_to(target)
    _refused(home)


def test_a_symlinked_cache_folder_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "real"
    monkeypatch.setenv("XDG_CACHE_HOME", str(real))
    cache.write("n", b"k" * 32, b"payload")
    assert cache.read("n", b"k" * 32) == b"payload"
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "assess").symlink_to(real / "assess")
    monkeypatch.setenv("XDG_CACHE_HOME", str(linked))
    assert cache.read("n", b"k" * 32) is None


def test_the_key_follows_the_bytes_of_every_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("x: 1\n")
    b.write_text("y: 2\n")
    first = cache.code_and_data_key([a, b])
    assert cache.code_and_data_key([a, b]) == first
    b.write_text("y: 3\n")
    assert cache.code_and_data_key([a, b]) != first
