"""pyproject.toml and environment.yml describe the same dependencies."""
import pathlib
import re
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent


# the same package under its PyPI and its conda-forge name
CONDA_NAMES = {"psycopg2-binary": "psycopg2"}


def names(requirements):
    found = {re.split(r"[<>=!\[ ]", r.strip(), maxsplit=1)[0].lower() for r in requirements}
    return {CONDA_NAMES.get(name, name) for name in found}


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    pip_names = names(project["dependencies"] + extras["course"] + extras["scale"] + [r for r in extras["dev"]
                                                                    if not r.startswith("rnnkit")])
    text = (ROOT / "environment.yml").read_text().split("dependencies:", 1)[1]
    conda = [line.strip()[2:] for line in text.splitlines() if line.strip().startswith("- ")]
    conda_names = names(conda) - {"python", "pip"}
    assert pip_names == conda_names, f"only pip: {pip_names - conda_names}, only conda: {conda_names - pip_names}"
