"""When `make zip` cannot build, it says which package, why, and the one thing to do.

Each build here stops early, on purpose; none reaches anything but PyPI and loopback
(GitHub is sent to a closed loopback port: see `github_unreachable`).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from conftest import write_tree
from support.archive import TARGET, closed_port, github_unreachable, require, run_build
from support.published_connectors import GITHUB_SDK, write_sdist

from tools.lambda_zip import BuildError
from tools.lambda_zip.summary import MB, Sizes, check_limits
from tools.lambda_zip.target import Interpreter, find_python

pytestmark = pytest.mark.slow


def error_of(stderr: str) -> str:
    """The build's error message, with no traceback in it."""
    assert "make zip: error:" in stderr, stderr
    message = stderr.split("make zip: error:")[-1]
    assert "Traceback" not in message
    return message


def connectors_txt(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "connectors.txt"
    path.write_text("".join(f"{line}\n" for line in lines))
    return str(path)


def test_a_connector_that_cannot_import_in_the_archive_stops_the_build(
    tmp_path: Path, target_python: Interpreter | None
) -> None:
    require(target_python)
    write_tree(
        tmp_path / "connectors",
        {
            "connector_needy/__init__.py": "",
            "connector_needy/commands/__init__.py": "",
            "connector_needy/commands/do.py": """
                import acme_client_nobody_listed


                class Do:
                    pass
            """,
        },
    )
    done = run_build(tmp_path, "--connectors-dir", str(tmp_path / "connectors"), "--precompile", "0")
    assert done.returncode == 1
    assert "No module named 'acme_client_nobody_listed'" in done.stderr
    assert "list the package that provides that module in connectors.txt" in done.stderr
    error_of(done.stderr)
    assert not (tmp_path / "dist" / TARGET.archive_name).exists()


def test_a_connector_needing_boto3_at_import_is_noted_not_refused(
    tmp_path: Path, target_python: Interpreter | None
) -> None:
    require(target_python)
    write_tree(
        tmp_path / "connectors",
        {
            "connector_cloudy/__init__.py": "",
            "connector_cloudy/commands/__init__.py": "",
            "connector_cloudy/commands/put.py": "import boto3\n\n\nclass Put:\n    pass\n",
        },
    )
    done = run_build(tmp_path, "--connectors-dir", str(tmp_path / "connectors"), "--precompile", "0")
    assert done.returncode == 0, done.stderr
    assert "connector_cloudy.commands.put imports boto3 when loaded; the Lambda runtime provides it" in (
        done.stdout
    )


def test_without_the_target_python_it_builds_without_bytecode_and_says_so(tmp_path: Path) -> None:
    if find_python("3.14") is not None:
        pytest.skip("Python 3.14 is installed here, so the missing-interpreter path cannot be shown")
    done = run_build(tmp_path, "--python-version", "3.14", "--precompile", "1")
    assert done.returncode == 0, done.stderr
    assert "NO BYTECODE" in done.stderr
    assert "pyenv install 3.14" in done.stderr
    archive = tmp_path / "dist" / "spiff-connector-proxy-py3.14-x86_64.zip"
    with zipfile.ZipFile(archive) as opened:
        assert not [n for n in opened.namelist() if n.endswith(".pyc")]


def test_unreachable_package_index_is_a_clear_error(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    env.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_INDEX_URL=f"http://127.0.0.1:{closed_port()}/simple",
        PIP_NO_CACHE_DIR="1",
        PIP_RETRIES="1",
        PIP_TIMEOUT="5",
    )
    stale = tmp_path / "dist" / TARGET.archive_name
    stale.parent.mkdir()
    stale.write_bytes(b"an archive from an earlier build")
    done = run_build(tmp_path, "--precompile", "0", env=env)
    assert done.returncode == 1
    message = error_of(done.stderr)
    assert "could not reach 127.0.0.1 to download the Linux wheels" in message
    assert "--find-links" in message  # how to build offline
    assert not stale.exists(), "a failed build left an archive that looks like its result"


def test_a_git_entry_github_cannot_be_reached_for_names_the_host_and_the_offline_way(tmp_path: Path) -> None:
    listed = "connector-acme @ git+https://github.com/acme/connector-acme@v1.2.0"
    done = run_build(
        tmp_path,
        "--connectors-file",
        connectors_txt(tmp_path, listed),
        "--precompile",
        "0",
        env=github_unreachable(),
    )
    assert done.returncode == 1
    message = error_of(done.stderr)
    assert message.strip().startswith(f"could not reach github.com to fetch {listed} (connectors.txt).")
    assert "list that local folder in connectors.txt instead of the URL" in message


def test_a_url_dependency_no_entry_meets_says_to_list_a_local_copy(tmp_path: Path) -> None:
    dependency = 'acme-client = {git = "https://github.com/acme/acme-client.git", tag = "v2"}'
    write_tree(
        tmp_path / "connector-acme",
        {
            "pyproject.toml": f"""
                [tool.poetry]
                name = "connector-acme"
                version = "1.0.0"
                description = "x"
                authors = ["x <x@example.com>"]

                [tool.poetry.dependencies]
                python = "^3.9"
                {GITHUB_SDK}
                {dependency}

                [build-system]
                requires = ["poetry-core"]
                build-backend = "poetry.core.masonry.api"
            """,
            "connector_acme/__init__.py": "",
        },
    )
    entry = connectors_txt(tmp_path, str(tmp_path / "connector-acme"))
    done = run_build(tmp_path, "--connectors-file", entry, "--precompile", "0", env=github_unreachable())
    assert done.returncode == 1
    message = error_of(done.stderr)
    # The SDK's URL was never tried (ours meets it); the other one was, and is explained.
    assert (
        "could not reach github.com to fetch connector-acme's dependency acme-client @ git+https" in message
    )
    assert "List a local copy of acme-client in connectors.txt" in message


def test_an_unknown_name_is_said_not_to_be_on_the_index(tmp_path: Path) -> None:
    done = run_build(
        tmp_path, "--connectors-file", connectors_txt(tmp_path, "connector-nobody-published-this==1.0.0")
    )
    assert done.returncode == 1
    message = error_of(done.stderr)
    assert "connector-nobody-published-this (listed in connectors.txt) is not on the package index" in message
    assert "git+https://github.com/" in message  # what to list instead


def test_a_missing_version_of_a_known_name_shows_the_versions(tmp_path: Path) -> None:
    done = run_build(tmp_path, "--connectors-file", connectors_txt(tmp_path, "six==0.0.1"))
    assert done.returncode == 1
    message = error_of(done.stderr)
    assert "six==0.0.1 (listed in connectors.txt): the package index has six (versions 1.17.0" in message
    assert "Pin a version" in message


def test_a_pin_that_conflicts_with_the_proxys_own_is_explained(tmp_path: Path) -> None:
    done = run_build(tmp_path, "--connectors-file", connectors_txt(tmp_path, "xmltodict==0.13.0"))
    assert done.returncode == 1
    message = error_of(done.stderr)
    assert "cannot all be met: The user requested xmltodict==" in message
    assert "Change the pin in connectors.txt" in message


def test_an_sdist_that_builds_a_compiled_wheel_is_refused(tmp_path: Path) -> None:
    write_tree(
        tmp_path / "spiff-fixture-fastmath",
        {
            "pyproject.toml": """
                [build-system]
                requires = ["setuptools>=61"]
                build-backend = "setuptools.build_meta"

                [project]
                name = "spiff-fixture-fastmath"
                version = "0.3.0"
            """,
            # A distribution that says it has extension modules: its wheel is for this machine.
            "setup.py": """
                from setuptools import setup
                from setuptools.dist import Distribution


                class Compiled(Distribution):
                    def has_ext_modules(self):
                        return True


                setup(distclass=Compiled, packages=["spiff_fixture_fastmath"])
            """,
            "spiff_fixture_fastmath/__init__.py": "",
        },
    )
    index = tmp_path / "index"
    write_sdist(tmp_path / "spiff-fixture-fastmath", index)
    entries = connectors_txt(tmp_path, f"--find-links {index}", "spiff-fixture-fastmath==0.3.0")
    done = run_build(tmp_path, "--connectors-file", entries, "--precompile", "0")
    assert done.returncode == 1
    message = error_of(done.stderr)
    assert (
        "spiff-fixture-fastmath 0.3.0 (listed in connectors.txt) publishes no wheel for python3.13" in message
    )
    assert "builds into a compiled wheel here" in message
    assert "list that .whl file in connectors.txt" in message


def test_a_vendored_connector_http_collides_with_the_built_in_one(tmp_path: Path) -> None:
    write_tree(
        tmp_path / "connector-http",
        {
            "pyproject.toml": """
                [build-system]
                requires = ["setuptools>=61"]
                build-backend = "setuptools.build_meta"

                [project]
                name = "connector-http"
                version = "1.0.0"

                [tool.setuptools]
                packages = ["connector_http"]
            """,
            "connector_http/__init__.py": "",
        },
    )
    done = run_build(
        tmp_path,
        "--connectors-file",
        connectors_txt(tmp_path, str(tmp_path / "connector-http")),
        "--precompile",
        "0",
    )
    assert done.returncode == 1
    message = error_of(done.stderr)
    assert "connector-http 1.0.0 (from connectors.txt or its dependencies) installs connector_http" in message
    assert "The built-in one replaces the published connector-http" in message
    assert "Remove connector-http from connectors.txt" in message


def test_a_path_that_does_not_exist_is_named(tmp_path: Path) -> None:
    done = run_build(
        tmp_path, "--connectors-file", connectors_txt(tmp_path, str(tmp_path / "no-such-connector"))
    )
    assert done.returncode == 1
    assert "there is no such folder" in error_of(done.stderr)


def test_limits_fail_with_a_clear_message(tmp_path: Path) -> None:
    archive = tmp_path / "x.zip"
    check_limits(Sizes(zipped=49 * MB, unpacked=249 * MB, parts=[]), archive)
    with pytest.raises(BuildError, match="through S3"):
        check_limits(Sizes(zipped=51 * MB, unpacked=100 * MB, parts=[]), archive)
    with pytest.raises(BuildError, match=r"250\.0 MB limit"):
        check_limits(Sizes(zipped=40 * MB, unpacked=251 * MB, parts=[]), archive)
