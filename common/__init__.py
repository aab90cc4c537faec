"""Plumbing shared by every layer: command lines and user errors (:mod:`common.cli`,
:mod:`common.checks`), atomic writes, progress bars, stream payloads packed and unpacked from a
manifest's port layouts (:mod:`common.payload`), the README's generated results
(:mod:`common.readme`).

Layer: the bottom; imports no package of the project.
"""
