"""The Python example of docs/clients.md runs as written against a real broker."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "clients.md"


def test_clients_doc_python_example_runs(broker, capsys, monkeypatch):
    example = re.search(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL).group(1)
    monkeypatch.setenv("AIP_ENDPOINT", broker)

    exec(compile(example, str(DOC), "exec"), {})

    assert "COMPLETED b'olleh'" in capsys.readouterr().out
