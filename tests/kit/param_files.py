"""Helpers for the parameter-file tests: a set with some keys changed, and the one-line
rejection every malformed file must get."""

import copy
import json

import pytest


def changed(obj, **changes):
    """A deep copy of ``obj`` with ``changes``; a change to ``KeyError`` removes the key."""
    obj = copy.deepcopy(obj)
    for k, v in changes.items():
        if v is KeyError:
            obj.pop(k)
        else:
            obj[k] = v
    return obj


def rejected(tmp_path, load, obj, text=None):
    """Write ``obj`` (or ``text``) as a file and load it: the ParamError's message, checked to
    be one line starting with the file's path."""
    from quant.paramfile import ParamError

    path = tmp_path / "set.json"
    path.write_text(json.dumps(obj) if text is None else text)
    with pytest.raises(ParamError) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: "), message
    return message
